using Tmds.DBus.Protocol;

namespace Candor.Agent.Consent;

/// <summary>Decides whether the caller of SetEnabled may change the machine's answer.</summary>
public interface IConsentAuthority
{
    /// <summary>A short name for logs and docs ("polkit", "anyone").</summary>
    string Name { get; }

    Task<bool> MayChangeConsentAsync(DBusConnection bus, string sender);
}
