using Candor.Cli.Relay;
using Candor.Client;
using Candor.Client.Transport;
using Candor.Collector;
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
/// The real chain on loopback: a collector on SQLite with its gateway, and <c>candor relay</c> in front
/// of it, with a tap on the relay's hop to the gateway (what the relay passes on).
/// </summary>
public sealed class OhttpChain : IAsyncDisposable
{
    public static readonly Uri CollectorUrl = new("https://collector.invalid/"); // never connected to: everything goes through the relay

    private OhttpChain(CollectorHost collector, WebApplication relay, Uri relayUrl, byte[] shippedKeys, WireTap relayToGateway, CapturingLoggerProvider relayLogs)
    {
        Collector = collector;
        Relay = relay;
        RelayUrl = relayUrl;
        ShippedKeys = shippedKeys;
        RelayToGateway = relayToGateway;
        RelayLogs = relayLogs;
    }

    public CollectorHost Collector { get; }
    public WebApplication Relay { get; }
    public Uri RelayUrl { get; }

    /// <summary>What the app developer ships: the output of 'candor ohttp keys' for this collector.</summary>
    public byte[] ShippedKeys { get; }

    public WireTap RelayToGateway { get; }
    public CapturingLoggerProvider RelayLogs { get; }

    public static async Task<OhttpChain> StartAsync(Action<CollectorOptions>? configure = null)
    {
        var collector = await CollectorHost.StartAsync(o =>
        {
            o.OhttpKeysFile = Path.Combine(Path.GetDirectoryName(o.Database)!, "ohttp-keys.json");
            configure?.Invoke(o);
        });
        var tap = new WireTap();
        var logs = new CapturingLoggerProvider();
        // The relay's key cache runs on the collector's clock, so a test that moves the operator's time moves the cache's windows too.
        var relay = RelayApp.Build(new RelayOptions { Gateway = new Uri(collector.BaseAddress, GatewayEndpoints.Path), Urls = ["http://127.0.0.1:0"], OperatorUrls = ["http://127.0.0.1:0"], Clock = collector.Clock },
            l => l.AddProvider(logs), tap);
        await relay.StartAsync();
        var relayUrl = new Uri(relay.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        var keys = await collector.Client.GetByteArrayAsync(GatewayEndpoints.Path);
        return new OhttpChain(collector, relay, relayUrl, keys, tap, logs);
    }

    /// <summary>Client options that send through this relay, reaching it with <paramref name="toRelay"/>.</summary>
    public CandorClientOptions ClientOptions(ClientTestKit kit, HttpMessageHandler toRelay)
    {
        var options = kit.Options(CollectorUrl, toRelay);
        options.Ohttp = new OhttpTransportOptions { Relay = RelayUrl, KeyConfigs = ShippedKeys };
        return options;
    }

    /// <summary>Sealed requests the relay forwarded to the gateway (the key lookups are GETs without a body).</summary>
    public int SealedRequestsForwarded
    {
        get { lock (RelayToGateway.Requests) return RelayToGateway.Requests.Count(r => r.Body.Length > 0); }
    }

    public async ValueTask DisposeAsync()
    {
        await Relay.StopAsync();
        await Relay.DisposeAsync();
        await Collector.DisposeAsync();
    }
}
