using Candor.Client;
using Candor.Client.Transport;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;
using Candor.Tests.Operations;

namespace Candor.Tests.Transport;

/// <summary>The default transport: Tor when a local Tor SOCKS port answers, otherwise direct, and never silently.</summary>
public sealed class DefaultTransportTests : IAsyncLifetime
{
    private readonly ClientTestKit _kit = new();
    private CollectorHost _host = null!;

    public async Task InitializeAsync() => _host = await CollectorHost.StartAsync();

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _kit.Dispose();
    }

    [Fact]
    public void Tor_if_available_is_the_default_mode_and_tor_s_own_port_the_default_proxy()
    {
        var options = new CandorClientOptions();
        Assert.Equal(TransportMode.TorIfAvailable, options.Transport);
        Assert.Equal(new Uri("socks5://127.0.0.1:9050"), options.SocksProxy);
    }

    [Fact]
    public async Task With_default_options_and_no_tor_the_upload_goes_direct_and_the_local_log_says_so()
    {
        var options = _kit.Options(_host.BaseAddress); // no handler, no Transport set: the defaults
        options.SocksProxy = new Uri($"socks5://127.0.0.1:{LoopbackClient.ClosedPort()}");
        using var client = CandorClient.Create(options);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));

        var cycle = await client.UploadAsync();

        Assert.Equal(1, cycle.Sent);
        Assert.Contains(client.Log(), e => e.Message.Contains("sending directly"));
        Assert.True((await _host.Store.ReadRawAsync(TestRegistries.App)).Count > 0);
    }

}
