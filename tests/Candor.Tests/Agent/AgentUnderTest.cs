using Candor.Agent;
using Candor.Agent.Consent;
using Candor.Registry.Events;
using Candor.Client;
using Candor.Registry;
using Candor.Tests.Client;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Tests.Agent;

/// <summary>
/// The agent in this process, on a private dbus-daemon, with a manual clock for the client (so a test can
/// close the week and upload) and a fake one for the aggregate timers. Everything it is driven with comes
/// from outside: gdbus processes and separate bus connections.
/// </summary>
public sealed class AgentUnderTest : IAsyncDisposable
{
    private AgentUnderTest(PrivateBus bus, ClientTestKit kit, CandorClient client, AgentService service, FakeTimeProvider timers)
    {
        Bus = bus;
        Kit = kit;
        Client = client;
        Service = service;
        TimerClock = timers;
    }

    public PrivateBus Bus { get; }
    public ClientTestKit Kit { get; }
    public CandorClient Client { get; }
    internal AgentService Service { get; }
    public FakeTimeProvider TimerClock { get; }

    public static MetricRegistry Registry => RegistryParser.Parse(AgentRegistries.Registry, "machine.yaml");

    public static async Task<AgentUnderTest> StartAsync(Uri? collector = null, HttpMessageHandler? handler = null, IConsentAuthority? authority = null)
    {
        var bus = await PrivateBus.StartAsync();
        var kit = new ClientTestKit();
        var registry = Registry;
        var client = CandorClient.Create(kit.Options(collector, handler, registry));
        var map = EventMapParser.Parse(AgentRegistries.Events, "events.yaml", registry);
        var timers = new FakeTimeProvider();
        var service = await AgentService.StartAsync(new AgentOptions
        {
            BusAddress = bus.Address,
            ConsentAuthority = authority ?? new AnyCallerAuthority(),
            TimeProvider = timers,
        }, client, map, kit.DataDirectory);
        return new AgentUnderTest(bus, kit, client, service, timers);
    }

    /// <summary>The eos-metrics user id every test call carries: distinctive, so a test can look for it in what leaves.</summary>
    public const string UserId = "3141592653";

    public Task<string> CallAsync(string method, params string[] args) => Gdbus.CallAsync(Bus.Address, $"{Gdbus.Server}.{method}", args);

    public Task SingularAsync(Guid id, string? payload) =>
        CallAsync("RecordSingularEvent", UserId, Gdbus.Bytes(id), "123456789", payload is null ? "false" : "true", payload ?? "<byte 0>");

    public Task AggregateAsync(Guid id, long count, string? payload) =>
        CallAsync("RecordAggregateEvent", UserId, Gdbus.Bytes(id), count.ToString(System.Globalization.CultureInfo.InvariantCulture), "123456789", payload is null ? "false" : "true", payload ?? "<byte 0>");

    public Task SequenceAsync(Guid id, string events) => CallAsync("RecordEventSequence", UserId, Gdbus.Bytes(id), events);

    public Task<string> ShowAsync() => Gdbus.CallAsync(Bus.Address, "org.candor.Agent1.Show");

    /// <summary>What the user would see: the collected items of the local store, flushed first.</summary>
    public IReadOnlyList<CollectedItem> Kept()
    {
        Client.Flush();
        return Client.Show().Where(i => !i.Metric.StartsWith("candor.", StringComparison.Ordinal)).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        Client.Dispose();
        Kit.Dispose();
        Bus.Dispose();
    }
}
