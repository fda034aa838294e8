using Candor.Agent.Consent;
using Candor.Agent.Facts;

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

    /// <summary>Where the built-in facts are read from; tests point it at a prepared folder.</summary>
    public MachineFacts Facts { get; set; } = MachineFacts.ThisMachine();

    /// <summary>How often the facts are recorded again while consent is granted (a fact is a value per period).</summary>
    public TimeSpan FactsInterval { get; set; } = TimeSpan.FromHours(6);
}
