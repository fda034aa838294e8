using Candor.Agent.Consent;

namespace Candor.Agent;

/// <summary>Where the agent listens and who may change the machine's consent.</summary>
public sealed class AgentOptions
{
    public const string BusName = "com.endlessm.Metrics";

    /// <summary>A D-Bus address; null means the system bus (DBUS_SYSTEM_BUS_ADDRESS or its default socket).</summary>
    public string? BusAddress { get; set; }

    /// <summary>Who may call SetEnabled; polkit unless the agent runs on a private bus for tests.</summary>
    public IConsentAuthority ConsentAuthority { get; set; } = new PolkitAuthority();

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
