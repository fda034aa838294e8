using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.Hosting;

/// <summary>
/// A second Kestrel server, on its own addresses (<c>OperatorUrls</c>, by default loopback only), for
/// what only the operator may read: <c>/metrics</c> and readiness. It is a separate server rather than
/// routes filtered by host or port on the public one, so no spelling of a path on the public listener
/// (another case, a trailing slash, percent-encoding, a forged Host header) can reach these endpoints:
/// the public pipeline has no such route at all. Started and stopped with the application that owns
/// it (a hosted service), and logging through that application's logger factory, so the privacy filters
/// and a test's captured output apply to it too.
/// </summary>
public sealed class OperatorListener(IReadOnlyList<string> urls, ILoggerFactory loggerFactory, Action<WebApplication> map) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>The addresses actually bound (a port 0 in the settings becomes the port chosen); empty before start.</summary>
    public IReadOnlyList<Uri> Addresses { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls([.. urls]);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 1024; // probes and scrapes send no body
        });
        // The owner's factory, registered as an instance: this server's container does not dispose it.
        builder.Services.Replace(ServiceDescriptor.Singleton(loggerFactory));
        builder.Services.AddProblemDetails();
        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        map(app);
        _app = app;
        await app.StartAsync(cancellationToken);
        Addresses = [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a))];
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is { } app)
            await app.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.DisposeAsync();
        }
    }
}
