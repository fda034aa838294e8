using Candor.Agent.DBus;
using Candor.Agent.Facts;
using Candor.Registry.Events;
using Candor.Agent.Recording;
using Candor.Client;
using Microsoft.Extensions.Logging;
using Tmds.DBus.Protocol;

namespace Candor.Agent;

/// <summary>
/// The machine-wide agent: one <see cref="CandorClient"/> for the whole machine behind the
/// <c>com.endlessm.Metrics</c> bus name, so that eos-metrics applications record through Candor unchanged.
/// The caller owns the client (its options name the registry, data directory and collector).
/// </summary>
internal sealed class AgentService : IAsyncDisposable
{
    private readonly DBusConnection _bus;
    private readonly ITimer _factsTimer;

    private AgentService(DBusConnection bus, EventRecorderServer server, AggregateTimers timers, DropCounts drops, ITimer factsTimer)
    {
        _bus = bus;
        _factsTimer = factsTimer;
        Server = server;
        Timers = timers;
        Drops = drops;
    }

    public EventRecorderServer Server { get; }

    public AggregateTimers Timers { get; }

    public DropCounts Drops { get; }

    /// <summary>Completes when the bus connection is lost (the bus stopped, or the name was taken over).</summary>
    public Task<Exception?> Disconnected => _bus.DisconnectedAsync();

    /// <summary>Connects, serves the objects and takes the bus name; fails if another process owns it.</summary>
    public static async Task<AgentService> StartAsync(AgentOptions options, CandorClient client, EventMap map, string dataDirectory, ILogger? log = null)
    {
        if (map.Registry.App != client.Registry.App)
            throw new InvalidOperationException($"The event mapping is for registry '{map.Registry.App}', but the client records into '{client.Registry.App}'.");
        var drops = new DropCounts(dataDirectory);
        if (!client.Consent.IsGranted)
            drops.Erase(); // counts left from before a "no" given while the agent was stopped
        var recorder = new EventRecorder(client, map, drops);
        var timers = new AggregateTimers(recorder, options.TimeProvider);
        var facts = new FactRecorder(client, options.Facts);
        var server = new EventRecorderServer(client, recorder, drops, timers, options.ConsentAuthority, log) { Granted = facts.Record };
        var bus = new DBusConnection(options.BusAddress ?? DBusAddress.System ?? "unix:path=/var/run/dbus/system_bus_socket");
        try
        {
            await bus.ConnectAsync().ConfigureAwait(false);
            bus.AddMethodHandlers([server, timers]);
            await bus.WatchSignalAsync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameOwnerChanged",
                static (Message m, object? _) =>
                {
                    var reader = m.GetBodyReader();
                    return (Name: reader.ReadString(), Old: reader.ReadString(), New: reader.ReadString());
                },
                (Notification<(string Name, string Old, string New)> change) =>
                {
                    // A unique name (":1.42") that loses its owner is a connection that is gone for good.
                    if (change.HasValue && change.Value.Name.StartsWith(':') && change.Value.New.Length == 0)
                        timers.Forget(change.Value.Name);
                }, ObserverFlags.None, false, null).ConfigureAwait(false);
            if (!await bus.TryRequestNameAsync(AgentOptions.BusName, RequestNameOptions.None).ConfigureAwait(false))
                throw new InvalidOperationException($"Another process already owns {AgentOptions.BusName} on this bus (an eos-event-recorder-daemon, or a second agent).");
        }
        catch
        {
            bus.Dispose();
            throw;
        }
        log?.LogInformation("Candor agent serving {Name} (consent changes: {Authority})", AgentOptions.BusName, options.ConsentAuthority.Name);
        facts.Record();
        var factsTimer = options.TimeProvider.CreateTimer(_ => facts.Record(), null, options.FactsInterval, options.FactsInterval);
        return new AgentService(bus, server, timers, drops, factsTimer);
    }

    public ValueTask DisposeAsync()
    {
        _factsTimer.Dispose();
        _bus.Dispose();
        return ValueTask.CompletedTask;
    }
}
