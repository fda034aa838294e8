using Candor.Tests.Operations;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Candor.Client;
using Candor.Client.Transport;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Transport;

/// <summary>Uploads through a real SOCKS5 server (Debian's microsocks) on loopback.</summary>
public sealed class Socks5TransportTests : IAsyncLifetime
{
    private readonly ClientTestKit _kit = new();
    private CollectorHost _host = null!;
    private Process? _socks;
    private int _socksPort;
    private readonly List<EndPoint> _connects = [];

    public async Task InitializeAsync()
    {
        _host = await CollectorHost.StartAsync();
        _socksPort = LoopbackClient.FreePort();
        if (!File.Exists(MicrosocksFactAttribute.ExecutablePath))
            return; // the proxy tests are skipped (MicrosocksFact); the others need no proxy
        _socks = Process.Start(new ProcessStartInfo(MicrosocksFactAttribute.ExecutablePath, ["-i", "127.0.0.1", "-p", _socksPort.ToString()])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        for (int i = 0; i < 100 && !await LoopbackClient.AnswersAsync(_socksPort); i++)
            await Task.Delay(50);
    }

    public async Task DisposeAsync()
    {
        if (_socks is { HasExited: false })
        {
            _socks.Kill();
            await _socks.WaitForExitAsync();
        }
        _socks?.Dispose();
        await _host.DisposeAsync();
        _kit.Dispose();
    }

    /// <summary>Records every connection the client opens; only the proxy may be one of them.</summary>
    private ReportingTransport Transport(TransportMode mode, int proxyPort) =>
        new(mode, new Uri($"socks5://127.0.0.1:{proxyPort}"), h => h.ConnectCallback = async (context, cancel) =>
        {
            lock (_connects) _connects.Add(context.DnsEndPoint);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(context.DnsEndPoint, cancel);
            return new NetworkStream(socket, ownsSocket: true);
        });

    private Uri CollectorByName => new($"http://localhost:{_host.BaseAddress.Port}/");

    private async Task<CandorClient> ClientWithDataAsync(ReportingTransport transport)
    {
        var client = _kit.Create(CollectorByName, transport);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        client.Flush();
        _kit.Clock.Advance(TimeSpan.FromDays(7));
        await Task.CompletedTask;
        return client;
    }

    [MicrosocksFact]
    public async Task The_collector_receives_the_upload_through_the_proxy_and_the_client_connects_only_to_the_proxy()
    {
        using var client = await ClientWithDataAsync(Transport(TransportMode.TorRequired, _socksPort));

        var cycle = await client.UploadAsync();

        Assert.True(cycle.Sent >= 1, cycle.ToString());
        Assert.NotEmpty(await _host.Store.ReadRawAsync(TestRegistries.App));
        // The collector's host name was never resolved or connected to by the client: every
        // connection went to the proxy, which got "localhost" as a SOCKS5 domain name.
        Assert.NotEmpty(_connects);
        Assert.All(_connects, e => Assert.Equal(new DnsEndPoint("127.0.0.1", _socksPort), e));
    }

    [MicrosocksFact]
    public async Task A_name_only_the_proxy_could_resolve_is_handed_to_the_proxy_not_to_local_dns()
    {
        // .invalid never resolves (RFC 6761): had the client looked it up itself, it would have failed
        // before opening any socket. Instead its only connection is to the proxy, which gets the name.
        using var http = new HttpClient(Transport(TransportMode.TorRequired, _socksPort));

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetAsync($"http://collector.candor.invalid:{_host.BaseAddress.Port}/healthz"));

        Assert.Equal([new DnsEndPoint("127.0.0.1", _socksPort)], _connects.Distinct());
    }

    [Fact]
    public async Task Tor_required_without_a_proxy_sends_nothing_and_keeps_the_batch()
    {
        using var client = await ClientWithDataAsync(Transport(TransportMode.TorRequired, LoopbackClient.FreePort()));

        var cycle = await client.UploadAsync();

        Assert.Equal(0, cycle.Sent);
        Assert.Empty(_connects);
        Assert.Empty(await _host.Store.ReadRawAsync(TestRegistries.App));
        Assert.NotEmpty(client.Pending());
    }

    [Fact]
    public async Task Tor_if_available_without_a_proxy_goes_direct_and_says_so()
    {
        using var client = await ClientWithDataAsync(new ReportingTransport(TransportMode.TorIfAvailable, new Uri($"socks5://127.0.0.1:{LoopbackClient.FreePort()}"),
            log: m => { lock (_connects) _connects.Add(new DnsEndPoint("logged: " + m, 1)); }));

        var cycle = await client.UploadAsync();

        Assert.True(cycle.Sent >= 1, cycle.ToString());
        Assert.Contains(_connects, e => e is DnsEndPoint { Host: var h } && h.Contains("sending directly"));
    }

    [MicrosocksFact]
    public async Task Each_upload_uses_fresh_proxy_credentials_so_tor_isolates_circuits()
    {
        var seen = new List<string>();
        var transport = new ReportingTransport(TransportMode.TorRequired, new Uri($"socks5://127.0.0.1:{_socksPort}"),
            h => { lock (seen) seen.Add(((NetworkCredential)h.Proxy!.Credentials!).UserName); });
        using var http = new HttpClient(transport);

        for (int i = 0; i < 2; i++)
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(CollectorByName, "healthz"))).StatusCode);

        Assert.Equal(2, seen.Distinct().Count());
    }

    [Theory]
    [InlineData("socks4://127.0.0.1:9050")]
    [InlineData("socks4a://127.0.0.1:9050")]
    [InlineData("http://127.0.0.1:8080")]
    public void Only_socks5_proxies_are_accepted(string proxy) =>
        Assert.Throws<ArgumentException>(() => new ReportingTransport(TransportMode.TorRequired, new Uri(proxy)));
}
