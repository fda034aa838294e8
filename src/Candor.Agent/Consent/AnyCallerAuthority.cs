using Tmds.DBus.Protocol;

namespace Candor.Agent.Consent;

/// <summary>
/// Lets every caller change consent. Only for a private bus that the person running the agent owns
/// (tests, a session bus during development): on the system bus it would let any local user or
/// compromised service switch collection on for everyone, which is why <c>candor agent run</c> asks for it
/// by name (<c>--consent-authority anyone</c>) and the default is polkit.
/// </summary>
public sealed class AnyCallerAuthority : IConsentAuthority
{
    public string Name => "anyone";

    public Task<bool> MayChangeConsentAsync(DBusConnection bus, string sender) => Task.FromResult(true);
}
