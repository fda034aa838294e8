using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Candor.Tests.Infrastructure;

/// <summary>
/// A real Kestrel listener on loopback that records every request exactly as it arrived (method, path,
/// every header) and then, when it has a target, passes the request on with a fresh request (body, media
/// type and the few headers a collector reads) and hands the answer back. With no target it answers 404
/// to everything, which makes it a plain counting listener.
/// </summary>
public sealed class RecordingFront : IAsyncDisposable
{
    private static readonly string[] PassedOn = ["Idempotency-Key", "Authorization", "Accept"];
    private static readonly string[] PassedBack = ["WWW-Authenticate", "Retry-After", "Cache-Control"];

    private readonly WebApplication _app;
    private readonly HttpClient _forward = new(new SocketsHttpHandler { UseProxy = false, UseCookies = false, AllowAutoRedirect = false, ActivityHeadersPropagator = null });

    private RecordingFront(WebApplication app) => _app = app;

    public sealed record Seen(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers);

    public List<Seen> Requests { get; } = [];

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<Seen> Snapshot()
    {
        lock (Requests) return [.. Requests];
    }

    public static async Task<RecordingFront> StartAsync(Uri? target = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var front = new RecordingFront(app);
        app.Run(http => front.HandleAsync(http, target));
        await app.StartAsync();
        front.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        return front;
    }

    private async Task HandleAsync(HttpContext http, Uri? target)
    {
        var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var pathAndQuery = http.Request.Path + http.Request.QueryString;
        lock (Requests)
            Requests.Add(new Seen(http.Request.Method, pathAndQuery, headers));
        if (target is null)
        {
            http.Response.StatusCode = 404;
            return;
        }
        var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body);
        Activity.Current = null; // the front itself must not add what the test looks for further down the line
        using var forward = new HttpRequestMessage(new HttpMethod(http.Request.Method), new Uri(target, pathAndQuery.TrimStart('/')));
        if (body.Length > 0 || http.Request.ContentType is not null)
        {
            forward.Content = new ByteArrayContent(body.ToArray());
            if (http.Request.ContentType is { } type)
                forward.Content.Headers.TryAddWithoutValidation("Content-Type", type);
        }
        foreach (var name in PassedOn)
            if (http.Request.Headers.TryGetValue(name, out var value))
                forward.Headers.TryAddWithoutValidation(name, value.ToString());
        using var answer = await _forward.SendAsync(forward);
        http.Response.StatusCode = (int)answer.StatusCode;
        foreach (var name in PassedBack)
            if (answer.Headers.TryGetValues(name, out var values) || answer.Content.Headers.TryGetValues(name, out values))
                http.Response.Headers[name] = values.ToArray();
        if (answer.Content.Headers.ContentType is { } contentType)
            http.Response.ContentType = contentType.ToString();
        await http.Response.Body.WriteAsync(await answer.Content.ReadAsByteArrayAsync());
    }

    public async ValueTask DisposeAsync()
    {
        _forward.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
