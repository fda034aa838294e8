using Candor.Agent.DBus;
using Tmds.DBus.Protocol;

namespace Candor.Tests.Agent;

/// <summary>
/// An application's own long-lived bus connection, as eos-metrics keeps one: needed for aggregate timers,
/// which only the connection that started them may stop (each gdbus call is a new connection).
/// </summary>
public sealed class AgentConnection : IDisposable
{
    private readonly DBusConnection _bus;

    private AgentConnection(DBusConnection bus) => _bus = bus;

    public static async Task<AgentConnection> ConnectAsync(string address)
    {
        var bus = new DBusConnection(address);
        await bus.ConnectAsync();
        return new AgentConnection(bus);
    }

    public Task<string> StartAggregateTimerAsync(Guid eventId)
    {
        using var writer = _bus.GetMessageWriter();
        writer.WriteMethodCallHeader("com.endlessm.Metrics", EventRecorderServer.ObjectPath, Introspection.ServerInterface, "StartAggregateTimer", "uaybv", MessageFlags.None);
        writer.WriteUInt32(1000);
        writer.WriteArray(eventId.ToByteArray(bigEndian: true));
        writer.WriteBool(false);
        writer.WriteVariantByte(0);
        return _bus.CallMethodAsync(writer.CreateMessage(), static (Message m, object? _) => m.GetBodyReader().ReadObjectPathAsString(), null);
    }

    public Task StopTimerAsync(string path)
    {
        using var writer = _bus.GetMessageWriter();
        writer.WriteMethodCallHeader("com.endlessm.Metrics", path, Introspection.TimerInterface, "StopTimer", null, MessageFlags.None);
        return _bus.CallMethodAsync(writer.CreateMessage());
    }

    public void Dispose() => _bus.Dispose();
}
