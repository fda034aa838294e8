using System.Diagnostics;
using Candor.Cli.Relay;
using Candor.Ohttp;
using Candor.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Candor.Tests.Ohttp;

/// <summary>
/// The attack: a client (or whatever it runs in) sends the relay its trace context and other headers,
/// and the gateway, on the operator's side, reads them to relink the client's split parts. The real
/// <c>candor relay</c> forwards to a real Kestrel listener standing for the gateway, under an
/// OpenTelemetry-style listener sampling every activity. The positive control is a relay built the
/// naive way (a fresh request, no header copied, .NET's default handler): the client's trace id still
/// reaches the gateway through the activity ASP.NET Core starts from the incoming <c>traceparent</c>.
/// </summary>
public sealed class RelayHeaderAllowlistTests : IAsyncLifetime
{
    private const string TraceId = "0af7651916cd43dd8448eb211c80319c";

    private static readonly Dictionary<string, string> OddHeaders = new()
    {
        ["traceparent"] = $"00-{TraceId}-b7ad6b7169203331-01",
        ["tracestate"] = "vendor=device-7",
        ["baggage"] = "device=7,user=alice",
        ["Request-Id"] = "|device-7.1.",
        ["Correlation-Context"] = "device=7",
        ["Cookie"] = "session=device-7",
        ["Authorization"] = "Bearer device-7",
        ["X-Forwarded-For"] = "203.0.113.7",
        ["Forwarded"] = "for=203.0.113.7",
        ["Via"] = "1.1 device-7",
        ["User-Agent"] = "Editor/1.2 (device-7)",
        ["Accept-Language"] = "fr-CH",
        ["X-Device-Id"] = "device-7",
        ["Idempotency-Key"] = "device-7",
    };

    private ActivityListener _listener = null!;
    private RecordingFront _gateway = null!;

    public async Task InitializeAsync()
    {
        _listener = AlwaysOnTracing.Start();
        _gateway = await RecordingFront.StartAsync(); // answers 404: what it saw is all that matters
    }

    public async Task DisposeAsync()
    {
        _listener.Dispose();
        await _gateway.DisposeAsync();
    }

    [Fact]
    public async Task A_relay_given_trace_context_and_odd_headers_passes_on_only_the_media_type_and_length()
    {
        var relay = RelayApp.Build(new RelayOptions { Gateway = new Uri(_gateway.Url, ".well-known/ohttp-gateway"), Urls = ["http://127.0.0.1:0"], OperatorUrls = ["http://127.0.0.1:0"] });
        await relay.StartAsync();
        try
        {
            var url = Address(relay);
            await SendWithOddHeadersAsync(HttpMethod.Post, url);
            await SendWithOddHeadersAsync(HttpMethod.Get, new Uri(url, ".well-known/ohttp-gateway"));
        }
        finally
        {
            await relay.StopAsync();
            await relay.DisposeAsync();
        }

        var seen = _gateway.Snapshot();
        Assert.Equal(2, seen.Count);
        var post = seen.Single(r => r.Method == "POST");
        Assert.Equal(["Content-Length", "Content-Type", "Host"], post.Headers.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(OhttpMediaTypes.Request, post.Headers["Content-Type"]);
        Assert.Equal("5", post.Headers["Content-Length"]);
        var get = seen.Single(r => r.Method == "GET");
        Assert.Equal(["Host"], get.Headers.Keys);
        Assert.DoesNotContain(seen.SelectMany(r => r.Headers.Values), v => v.Contains("device-7") || v.Contains(TraceId));
    }

    [Fact]
    public async Task Positive_control_a_naively_built_relay_hands_the_clients_trace_id_to_the_gateway()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var naive = builder.Build();
        using var upstream = new HttpClient(); // .NET's defaults, as the relay had them before
        naive.MapPost("/", async (HttpContext http) =>
        {
            var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            using var forward = new HttpRequestMessage(HttpMethod.Post, new Uri(_gateway.Url, ".well-known/ohttp-gateway")) { Content = new ByteArrayContent(body.ToArray()) };
            forward.Content.Headers.ContentType = new(OhttpMediaTypes.Request);
            using var answer = await upstream.SendAsync(forward);
            return Results.StatusCode((int)answer.StatusCode);
        });
        await naive.StartAsync();
        try
        {
            await SendWithOddHeadersAsync(HttpMethod.Post, Address(naive));
        }
        finally
        {
            await naive.StopAsync();
            await naive.DisposeAsync();
        }

        var post = Assert.Single(_gateway.Snapshot());
        Assert.Contains(TraceId, post.Headers["traceparent"]);
    }

    private static async Task SendWithOddHeadersAsync(HttpMethod method, Uri url)
    {
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null });
        using var request = new HttpRequestMessage(method, url);
        if (method == HttpMethod.Post)
        {
            request.Content = new ByteArrayContent([1, 2, 3, 4, 5]);
            request.Content.Headers.ContentType = new(OhttpMediaTypes.Request);
        }
        foreach (var (name, value) in OddHeaders)
            request.Headers.TryAddWithoutValidation(name, value);
        using var response = await client.SendAsync(request);
    }

    private static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
}
