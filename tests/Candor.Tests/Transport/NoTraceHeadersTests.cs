using Candor.Tests.Operations;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Candor.Cli.Relay;
using Candor.Client;
using Candor.Client.Transport;
using Candor.Collector.Ohttp;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;
using Candor.Tests.PrivacyPass;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Candor.Tests.Transport;

/// <summary>
/// The attack: the operator (collector, gateway and issuer together) relinks a device's requests by the
/// trace context its app's HTTP stack adds: every split part of one upload carrying the app's trace id.
/// The client runs inside a real ASP.NET Core host, registered with <c>AddCandor</c>, called from an
/// endpoint whose request carries a <c>traceparent</c>, with an OpenTelemetry-style listener sampling
/// every activity; every request it makes (reports, announcements, log checks, key checks, token
/// challenge and issuance) is recorded by real Kestrel listeners on each hop, on every transport. The
/// positive control: a plain HttpClient in the same endpoint does carry the app's trace id.
/// </summary>
public sealed class NoTraceHeadersTests : IAsyncLifetime
{
    private static readonly string[] TraceHeaders = ["traceparent", "tracestate", "baggage", "Request-Id", "Correlation-Context"];
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";

    private readonly ClientTestKit _kit = new();
    private readonly List<IAsyncDisposable> _owned = [];
    private ActivityListener _listener = null!;
    private CollectorHost _collector = null!;
    private RecordingFront _collectorFront = null!;
    private RecordingFront _control = null!;

    public async Task InitializeAsync()
    {
        _listener = AlwaysOnTracing.Start();
        _collector = await TokenKit.StartAsync(configure: o => o.OhttpKeysFile = Path.Combine(Path.GetDirectoryName(o.Database)!, "ohttp-keys.json"));
        _collectorFront = await RecordingFront.StartAsync(_collector.BaseAddress);
        _control = await RecordingFront.StartAsync();
    }

    public async Task DisposeAsync()
    {
        _listener.Dispose();
        foreach (var d in _owned)
            await d.DisposeAsync();
        await _control.DisposeAsync();
        await _collectorFront.DisposeAsync();
        await _collector.DisposeAsync();
        _kit.Dispose();
    }

    [Fact]
    public async Task Direct_no_request_of_a_client_in_a_traced_aspnetcore_host_carries_trace_context()
    {
        await RunInHostAsync(o => o.CollectorUrl = _collectorFront.Url);

        AssertEveryCallArrivedWithoutTraceContext(_collectorFront, viaRelay: false);
    }

    [MicrosocksFact]
    public async Task Socks5_no_request_of_a_client_in_a_traced_aspnetcore_host_carries_trace_context()
    {
        int port = LoopbackClient.FreePort();
        using var socks = Process.Start(new ProcessStartInfo(MicrosocksFactAttribute.ExecutablePath, ["-i", "127.0.0.1", "-p", port.ToString()])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        try
        {
            for (int i = 0; i < 100 && !await LoopbackClient.AnswersAsync(port); i++)
                await Task.Delay(50);
            await RunInHostAsync(o =>
            {
                o.CollectorUrl = _collectorFront.Url;
                o.Transport = TransportMode.TorRequired;
                o.SocksProxy = new Uri($"socks5://127.0.0.1:{port}");
            });
        }
        finally
        {
            socks.Kill();
            await socks.WaitForExitAsync();
        }

        AssertEveryCallArrivedWithoutTraceContext(_collectorFront, viaRelay: false);
    }

    [Fact]
    public async Task Ohttp_no_request_of_a_client_in_a_traced_aspnetcore_host_carries_trace_context_to_the_relay_the_gateway_or_the_issuer()
    {
        var gatewayFront = Own(await RecordingFront.StartAsync(_collector.BaseAddress));
        var relay = RelayApp.Build(new RelayOptions { Gateway = new Uri(gatewayFront.Url, GatewayEndpoints.Path.TrimStart('/')), Urls = ["http://127.0.0.1:0"], OperatorUrls = ["http://127.0.0.1:0"] });
        await relay.StartAsync();
        _owned.Add(relay);
        var relayUrl = new Uri(relay.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        var relayFront = Own(await RecordingFront.StartAsync(relayUrl));
        var keys = await _collector.Client.GetByteArrayAsync(GatewayEndpoints.Path);

        await RunInHostAsync(o =>
        {
            o.CollectorUrl = new Uri("https://collector.invalid/");
            o.TokenIssuer = _collectorFront.Url; // the issuer is reached from the device's address, not through the relay
            o.Ohttp = new OhttpTransportOptions { Relay = relayFront.Url, KeyConfigs = keys };
        });

        foreach (var front in new[] { relayFront, gatewayFront })
        {
            var seen = front.Snapshot();
            Assert.Contains(seen, r => r.Method == "GET" && r.PathAndQuery.EndsWith(GatewayEndpoints.Path)); // the key check
            Assert.True(seen.Count(r => r.Method == "POST") >= 5, $"{seen.Count} requests"); // challenge, parts, announcements, log
            AssertNoTraceContext(seen);
        }
        var issuer = _collectorFront.Snapshot();
        Assert.Contains(issuer, r => r.Method == "POST"); // token issuance, directly
        AssertNoTraceContext(issuer);
    }

    /// <summary>
    /// Builds an app host with <c>AddCandor</c>, calls its endpoint with a <c>traceparent</c>, and in that
    /// endpoint makes every network call the client has, then the positive control.
    /// </summary>
    private async Task RunInHostAsync(Action<CandorClientOptions> transport)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var template = _kit.Options();
        builder.Services.AddCandor(o =>
        {
            o.Registry = template.Registry;
            o.DataDirectory = template.DataDirectory;
            o.TimeProvider = template.TimeProvider;
            o.BackgroundWork = false;
            o.FirstUploadDelayMin = TimeSpan.Zero;
            o.FirstUploadDelayMax = TimeSpan.Zero;
            o.Environment = template.Environment;
            o.PolicyFile = template.PolicyFile;
            o.Random = new Random(7);
            o.PrivateTokens = true;
            o.AnnouncementKeys = [ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfoPem()];
            transport(o);
        });
        var app = builder.Build();
        string? traceInEndpoint = null;
        app.MapPost("/work", async (CandorClient client) =>
        {
            traceInEndpoint = Activity.Current?.TraceId.ToHexString();
            await EveryNetworkCallAsync(client);
            using var plain = new HttpClient(); // positive control: .NET's default handler, same activity
            await plain.GetAsync(new Uri(_control.Url, "control"));
            return Results.Ok();
        });
        await app.StartAsync();
        _owned.Add(app);
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var caller = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null });
        using var call = new HttpRequestMessage(HttpMethod.Post, url + "/work");
        call.Headers.Add("traceparent", $"00-{TraceId}-00f067aa0ba902b7-01");
        call.Headers.Add("baggage", "user=someone");
        (await caller.SendAsync(call)).EnsureSuccessStatusCode();

        Assert.Equal(TraceId, traceInEndpoint); // the client ran under the app's trace
        var control = Assert.Single(_control.Snapshot());
        Assert.Contains(TraceId, control.Headers["traceparent"]); // and the test can see a propagated trace id
    }

    private async Task EveryNetworkCallAsync(CandorClient client)
    {
        client.GrantConsent();
        await Quietly(() => client.RefillTokensAsync());
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        for (int hour = 0; hour < 48; hour++)
        {
            await Quietly(() => client.UploadAsync());
            if (client.Pending().Count == 0)
                break;
            _kit.Clock.Advance(TimeSpan.FromHours(1));
        }
        await Quietly(() => client.FetchAnnouncementsAsync());
        await Quietly(() => client.VerifyReportsAsync());
        await Quietly(() => client.CompareAsync("system.os"));
    }

    /// <summary>Only what went on the wire matters here, not whether the collector liked it.</summary>
    private static async Task Quietly(Func<Task> call)
    {
        try { await call(); }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or InvalidDataException
            or Candor.Announcements.AnnouncementRejectedException or TaskCanceledException) { }
    }

    private static void AssertEveryCallArrivedWithoutTraceContext(RecordingFront front, bool viaRelay)
    {
        var seen = front.Snapshot();
        Assert.Contains(seen, r => r.PathAndQuery.Contains("/token-challenge"));
        Assert.Contains(seen, r => r.Method == "POST" && r.PathAndQuery.Contains("token")); // issuance
        Assert.Contains(seen, r => r.Method == "POST" && r.PathAndQuery.EndsWith("/reports"));
        Assert.Contains(seen, r => r.PathAndQuery.Contains("/announcements"));
        Assert.Contains(seen, r => r.PathAndQuery.StartsWith("/v1/log/"));
        Assert.Contains(seen, r => r.PathAndQuery.StartsWith("/v1/public/"));
        AssertNoTraceContext(seen);
    }

    private static void AssertNoTraceContext(IReadOnlyList<RecordingFront.Seen> seen)
    {
        foreach (var r in seen)
            foreach (var name in TraceHeaders)
                Assert.False(r.Headers.ContainsKey(name), $"{r.Method} {r.PathAndQuery} carried {name}: {r.Headers.GetValueOrDefault(name)}");
    }

    private T Own<T>(T disposable) where T : IAsyncDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
