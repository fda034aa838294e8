using Microsoft.AspNetCore.Builder;

namespace Candor.Tests.Ohttp;

/// <summary>A `candor relay` started on loopback by a test: its app, a client for its public listener and one for its operator listener.</summary>
internal sealed record RunningRelay(WebApplication App, HttpClient Public, HttpClient Operator) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        Public.Dispose();
        Operator.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
