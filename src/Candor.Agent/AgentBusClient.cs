using Candor.Agent.DBus;
using Tmds.DBus.Protocol;

namespace Candor.Agent;

/// <summary>
/// What <c>candor agent consent|show|export</c> sends to a running agent: plain D-Bus method calls, so
/// that the running agent erases at once on "no", polkit decides who may change consent, and the agent
/// stays the only writer of its store.
/// </summary>
public sealed class AgentBusClient : IDisposable
{
    private readonly DBusConnection _bus;

    private AgentBusClient(DBusConnection bus) => _bus = bus;

    public static async Task<AgentBusClient> ConnectAsync(string? address)
    {
        var bus = new DBusConnection(address ?? DBusAddress.System ?? "unix:path=/var/run/dbus/system_bus_socket");
        try
        {
            await bus.ConnectAsync().ConfigureAwait(false);
        }
        catch
        {
            bus.Dispose();
            throw;
        }
        return new AgentBusClient(bus);
    }

    public Task SetEnabledAsync(bool enabled)
    {
        using var writer = _bus.GetMessageWriter();
        writer.WriteMethodCallHeader(AgentOptions.BusName, EventRecorderServer.ObjectPath, Introspection.ServerInterface, "SetEnabled", "b", MessageFlags.AllowInteractiveAuthorization);
        writer.WriteBool(enabled);
        return _bus.CallMethodAsync(writer.CreateMessage());
    }

    public Task<string> ShowAsync()
    {
        using var writer = _bus.GetMessageWriter();
        writer.WriteMethodCallHeader(AgentOptions.BusName, EventRecorderServer.ObjectPath, Introspection.AgentInterface, "Show", null, MessageFlags.None);
        return _bus.CallMethodAsync(writer.CreateMessage(), static (Message m, object? _) => m.GetBodyReader().ReadString(), null);
    }

    public Task<string> ExportAsync(string format)
    {
        using var writer = _bus.GetMessageWriter();
        writer.WriteMethodCallHeader(AgentOptions.BusName, EventRecorderServer.ObjectPath, Introspection.AgentInterface, "Export", "s", MessageFlags.None);
        writer.WriteString(format);
        return _bus.CallMethodAsync(writer.CreateMessage(), static (Message m, object? _) => m.GetBodyReader().ReadString(), null);
    }

    public void Dispose() => _bus.Dispose();
}
