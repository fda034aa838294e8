using Candor.Tests.Operations;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Candor.Cli.Relay;
using Candor.Client;
using Candor.Client.Transport;
using Candor.Collector.Ohttp;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Candor.Tests.Ohttp;

/// <summary>
/// client -> relay -> gateway -> store on loopback with the real parts: the client library's ohttp
/// transport, <c>candor relay</c>'s host and the collector on SQLite. Taps record the bytes on both
/// hops, so each test can show what the relay and the collector could and could not see.
/// </summary>
public sealed class RelayEndToEndTests : IAsyncLifetime
{
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly Uri CollectorUrl = new("https://collector.invalid/"); // never connected to: everything goes through the relay

    private readonly ClientTestKit _kit = new();
    private CollectorHost _collector = null!;
    private WebApplication _relay = null!;
    private readonly CapturingLoggerProvider _relayLogs = new();
    private readonly WireTap _relayToGateway = new();
    private Uri _relayUrl = null!;
    private byte[] _shippedKeys = null!;

    public async Task InitializeAsync()
    {
        _collector = await CollectorHost.StartAsync(o => o.OhttpKeysFile = Path.Combine(Path.GetDirectoryName(o.Database)!, "ohttp-keys.json"));
        _relay = RelayApp.Build(new RelayOptions { Gateway = new Uri(_collector.BaseAddress, GatewayEndpoints.Path), Urls = ["http://127.0.0.1:0"], OperatorUrls = ["http://127.0.0.1:0"] },
            l => l.AddProvider(_relayLogs), _relayToGateway);
        await _relay.StartAsync();
        _relayUrl = new Uri(_relay.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        // What the app developer ships: the output of 'candor ohttp keys' for this collector.
        _shippedKeys = await _collector.Client.GetByteArrayAsync(GatewayEndpoints.Path);
    }

    public async Task DisposeAsync()
    {
        await _relay.StopAsync();
        await _relay.DisposeAsync();
        await _collector.DisposeAsync();
        _kit.Dispose();
    }

    private CandorClient Client(HttpMessageHandler toRelay, Uri? keysUrl = null)
    {
        var options = _kit.Options(CollectorUrl, toRelay);
        options.Ohttp = new OhttpTransportOptions { Relay = _relayUrl, KeyConfigs = _shippedKeys, KeysUrl = keysUrl };
        return CandorClient.Create(options);
    }

    /// <summary>The reports <see cref="ClientTestKit.RecordSomething"/> makes of one week, each its own request (split uploads).</summary>
    private const int ReportsRecorded = 5;

    private static bool Holds(byte[] haystack, string needle) => Encoding.Latin1.GetString(haystack).Contains(needle, StringComparison.Ordinal);

    /// <summary>The client's connections come from this distinctive address, so any copy of it can be found.</summary>
    private const string ClientAddress = "127.0.0.77";

    [Fact]
    public async Task Reports_reach_the_store_through_the_relay_which_sees_no_content_and_the_collector_no_address()
    {
        var toRelay = new WireTap(new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                socket.Bind(new IPEndPoint(IPAddress.Parse(ClientAddress), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        });
        using (var client = Client(toRelay))
        {
            client.GrantConsent();
            ClientTestKit.RecordSomething(client);
            _kit.Clock.Set(NextMonday);
            var cycle = await client.UploadAsync();
            Assert.Equal(0, cycle.Pending);
            Assert.Equal(ReportsRecorded, cycle.Sent); // one request per report: split uploads are the default with ohttp
        }

        var rows = await _collector.Store.ReadRawAsync(TestRegistries.App);
        Assert.Contains(rows, r => r.Metric == "system.os" && r.Value.Contains("linux"));

        // The relay's view (both hops it handles, and its logs): sealed bytes only, no metric, value or key.
        var relayBytes = toRelay.Requests.Concat(_relayToGateway.Requests).Select(r => r.Body).ToList();
        Assert.NotEmpty(relayBytes);
        foreach (var canary in new[] { "system.os", "linux", "app.launches", "2026-W47", "reports", "collector.invalid" })
        {
            Assert.DoesNotContain(relayBytes, b => Holds(b, canary));
            Assert.DoesNotContain(_relayLogs.Lines, l => l.Contains(canary, StringComparison.Ordinal));
        }
        Assert.NotEmpty(_relayLogs.Lines); // the capture works: start-up lines are there
        Assert.DoesNotContain(_relayLogs.Lines, l => l.Contains(ClientAddress, StringComparison.Ordinal));

        // What the relay passed on: the client's bytes unchanged, and none of the client's headers.
        var posted = _relayToGateway.Requests.Where(r => r.Body.Length > 0).ToList();
        Assert.Equal(toRelay.Requests.Where(r => r.Body.Length > 0).Select(r => r.Body), posted.Select(r => r.Body));
        foreach (var (_, headers) in posted)
            Assert.Equal(["Content-Length", "Content-Type"], headers.Keys.Order(StringComparer.Ordinal));

        // The collector's view: no address in its database or logs.
        Assert.DoesNotContain(ClientAddress, DatabaseContent.Dump(_collector.DatabasePath), StringComparison.Ordinal);
        Assert.DoesNotContain(_collector.Logs.Lines, l => l.Contains(ClientAddress, StringComparison.Ordinal));
        foreach (var file in Directory.GetFiles(_collector.Directory, "candor.db*"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            Assert.False(Holds(copy.ToArray(), ClientAddress), $"{Path.GetFileName(file)} holds the client's address");
        }
    }

    [Fact]
    public async Task A_lost_answer_through_the_relay_is_resent_freshly_sealed_and_counted_once()
    {
        var losing = new WireTap(new LoseSealedAnswers());
        using (var client = Client(losing))
        {
            client.GrantConsent();
            ClientTestKit.RecordSomething(client);
            _kit.Clock.Set(NextMonday);
            Assert.Equal("retrying later", (await client.UploadAsync()).Status);
        } // stored by the collector, never acknowledged: the process "dies" here
        Assert.NotEmpty(await _collector.Store.ReadRawAsync(TestRegistries.App));

        _kit.Clock.Advance(TimeSpan.FromDays(2));
        var second = new WireTap();
        using (var restarted = Client(second))
            Assert.Equal(0, (await restarted.UploadAsync()).Pending);

        // A retry is a new encapsulation (nothing on the wire links it to the first attempt)...
        var first = losing.Requests.Where(r => r.Body.Length > 0).Select(r => Convert.ToHexString(r.Body)).ToList();
        var retries = second.Requests.Where(r => r.Body.Length > 0).Select(r => Convert.ToHexString(r.Body)).ToList();
        Assert.NotEmpty(first);
        Assert.NotEmpty(retries);
        Assert.Empty(first.Intersect(retries));
        // ...yet the idempotency key inside makes the collector count every report once.
        var launches = (await _collector.Store.ReadRawAsync(TestRegistries.App)).Where(r => r.Metric == "app.launches").Sum(r => r.Reports);
        Assert.Equal(1, launches);
    }

    [Fact]
    public async Task A_gateway_that_serves_one_client_a_different_key_configuration_is_refused_by_that_client()
    {
        // The operator singles one device out: for it, the key lookup answers with another configuration
        // (here a second collector's, whose private key the operator also holds).
        await using var targeting = await CollectorHost.StartAsync(o => o.OhttpKeysFile = Path.Combine(Path.GetDirectoryName(o.Database)!, "other-keys.json"));
        var tap = new WireTap();
        using (var target = Client(tap, keysUrl: new Uri(targeting.BaseAddress, GatewayEndpoints.Path)))
        {
            target.GrantConsent();
            ClientTestKit.RecordSomething(target);
            _kit.Clock.Set(NextMonday);
            var cycle = await target.UploadAsync();
            Assert.Equal("retrying later", cycle.Status);
            Assert.Equal(ReportsRecorded, cycle.Pending); // kept, not dropped: an app update or a fixed gateway lets it go later
            Assert.Contains(target.Log(), e => e.Message.Contains("differs from the one shipped", StringComparison.Ordinal));
        }
        Assert.All(tap.Requests, r => Assert.Empty(r.Body)); // only the key lookup went out: nothing was sealed to the foreign key
        Assert.Empty(await _collector.Store.ReadRawAsync(TestRegistries.App));
        Assert.Empty(await targeting.Store.ReadRawAsync(TestRegistries.App));

        // Every other client gets the shipped configuration (fetched through the relay) and sends.
        var other = new ClientTestKit();
        try
        {
            var options = other.Options(CollectorUrl, new WireTap());
            options.Ohttp = new OhttpTransportOptions { Relay = _relayUrl, KeyConfigs = _shippedKeys };
            using var client = CandorClient.Create(options);
            client.GrantConsent();
            ClientTestKit.RecordSomething(client);
            other.Clock.Set(NextMonday);
            Assert.Equal(ReportsRecorded, (await client.UploadAsync()).Sent);
        }
        finally
        {
            other.Dispose();
        }
    }

    [Fact]
    public async Task The_relay_answers_problem_json_for_a_wrong_media_type_and_an_unreachable_gateway()
    {
        using var http = new HttpClient { BaseAddress = _relayUrl };
        var json = new StringContent("{}", Encoding.UTF8, "application/json");
        var wrong = await http.PostAsync("/", json);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrong.StatusCode);
        Assert.Equal("application/problem+json", wrong.Content.Headers.ContentType!.MediaType);

        await using var orphan = RelayApp.Build(new RelayOptions { Gateway = new Uri($"http://127.0.0.1:{LoopbackClient.ClosedPort()}/.well-known/ohttp-gateway"), Urls = ["http://127.0.0.1:0"], OperatorUrls = ["http://127.0.0.1:0"] });
        await orphan.StartAsync();
        using var toOrphan = new HttpClient { BaseAddress = new Uri(orphan.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        var sealedBody = new ByteArrayContent(new byte[64]);
        sealedBody.Headers.ContentType = new(Candor.Ohttp.OhttpMediaTypes.Request);
        var down = await toOrphan.PostAsync("/", sealedBody);
        Assert.Equal(HttpStatusCode.BadGateway, down.StatusCode);
        Assert.Contains("relay-gateway-unreachable", await down.Content.ReadAsStringAsync());
        await orphan.StopAsync();
    }

    [MicrosocksFact]
    public async Task Ohttp_combines_with_tor_the_relay_is_reached_only_through_the_socks5_proxy()
    {
        int port = LoopbackClient.ClosedPort();
        using var socks = Process.Start(new ProcessStartInfo(MicrosocksFactAttribute.ExecutablePath, ["-i", "127.0.0.1", "-p", port.ToString()])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        try
        {
            for (int i = 0; i < 100 && !await LoopbackClient.AnswersAsync(port); i++)
                await Task.Delay(50);
            var connects = new List<EndPoint>();
            var tor = new ReportingTransport(TransportMode.TorRequired, new Uri($"socks5://127.0.0.1:{port}"), h => h.ConnectCallback = async (context, cancel) =>
            {
                var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await s.ConnectAsync(context.DnsEndPoint, cancel);
                lock (connects) connects.Add(s.RemoteEndPoint!);
                return new NetworkStream(s, ownsSocket: true);
            });
            using (var client = Client(tor))
            {
                client.GrantConsent();
                ClientTestKit.RecordSomething(client);
                _kit.Clock.Set(NextMonday);
                Assert.Equal(ReportsRecorded, (await client.UploadAsync()).Sent);
            }
            Assert.NotEmpty(connects);
            Assert.All(connects, c => Assert.Equal(port, ((IPEndPoint)c).Port));
            Assert.NotEmpty(await _collector.Store.ReadRawAsync(TestRegistries.App));
        }
        finally
        {
            socks.Kill();
            await socks.WaitForExitAsync();
        }
    }

    /// <summary>Passes the key lookup through but loses the answer to every sealed request, after the relay forwarded it.</summary>
    private sealed class LoseSealedAnswers() : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Method != HttpMethod.Post)
                return response;
            response.Dispose();
            throw new HttpRequestException("The connection was reset (simulated crash before the answer arrived).");
        }
    }

}
