using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Candor.Tests.Infrastructure;

/// <summary>
/// A real collector that answers slowly: Kestrel on 127.0.0.1 holds every request until the test calls
/// <see cref="Release"/>, then forwards it to the real collector behind it and passes the answer back.
/// It records whether a held request was abandoned by the client (cancelled, not answered).
/// </summary>
public sealed class SlowFront : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly TaskCompletionSource _abandoned = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HttpClient _upstream;

    private SlowFront(WebApplication app, Uri upstream)
    {
        _app = app;
        _upstream = new HttpClient { BaseAddress = upstream };
        app.Run(Handle);
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Completes when the client gave up on a held request (the connection was closed before an answer).</summary>
    public Task Abandoned => _abandoned.Task;

    public static async Task<SlowFront> StartAsync(Uri upstream)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var front = new SlowFront(builder.Build(), upstream);
        await front._app.StartAsync();
        front.BaseAddress = new Uri(front._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return front;
    }

    /// <summary>Waits until a request is being held (fails after 10 s rather than hang).</summary>
    public async Task WaitForRequestAsync()
    {
        if (!await _arrived.WaitAsync(TimeSpan.FromSeconds(10)))
            throw new Xunit.Sdk.XunitException("No request reached the slow collector.");
    }

    /// <summary>Lets every held request (and every later one) through to the real collector.</summary>
    public void Release() => _release.TrySetResult();

    private async Task Handle(HttpContext http)
    {
        _arrived.Release();
        try
        {
            await _release.Task.WaitAsync(http.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            _abandoned.TrySetResult();
            return;
        }
        using var request = new HttpRequestMessage(new HttpMethod(http.Request.Method), http.Request.Path + http.Request.QueryString);
        if (http.Request.ContentLength > 0 || http.Request.Method == "POST")
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            request.Content = new ByteArrayContent(body.ToArray());
            if (http.Request.ContentType is { } type)
                request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
        }
        if (http.Request.Headers.TryGetValue("Idempotency-Key", out var key))
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key.ToString());
        using var answer = await _upstream.SendAsync(request);
        http.Response.StatusCode = (int)answer.StatusCode;
        if (answer.Content.Headers.ContentType is { } contentType)
            http.Response.ContentType = contentType.ToString();
        await http.Response.Body.WriteAsync(await answer.Content.ReadAsByteArrayAsync());
    }

    public async ValueTask DisposeAsync()
    {
        _release.TrySetResult();
        _upstream.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
