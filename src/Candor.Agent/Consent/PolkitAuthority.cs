using Tmds.DBus.Protocol;

namespace Candor.Agent.Consent;

/// <summary>
/// Asks polkit (org.freedesktop.PolicyKit1) whether the caller may perform
/// <see cref="ActionId"/>; the policy file in packaging/linux lets an active local administrator do it
/// after authenticating. Fails closed: no polkit on the bus, an error, or a dismissed dialog all mean no.
/// </summary>
public sealed class PolkitAuthority : IConsentAuthority
{
    public const string ActionId = "org.candor.agent.set-enabled";

    public string Name => "polkit";

    public async Task<bool> MayChangeConsentAsync(DBusConnection bus, string sender)
    {
        try
        {
            return await bus.CallMethodAsync(Request(bus, sender), static (Message m, object? _) =>
            {
                var reader = m.GetBodyReader();
                reader.AlignStruct();
                return reader.ReadBool();
            }, null).ConfigureAwait(false);
        }
        catch (DBusErrorReplyException)
        {
            return false;
        }
    }

    private static MessageBuffer Request(DBusConnection bus, string sender)
    {
        using var writer = bus.GetMessageWriter();
        writer.WriteMethodCallHeader("org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
            "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization", "(sa{sv})sa{ss}us", MessageFlags.AllowInteractiveAuthorization);
        writer.WriteStructureStart();
        writer.WriteString("system-bus-name");
        writer.WriteDictionary(new Dictionary<string, VariantValue> { ["name"] = VariantValue.String(sender) });
        writer.WriteString(ActionId);
        var details = writer.WriteDictionaryStart();
        writer.WriteDictionaryEnd(details);
        writer.WriteUInt32(1); // AllowUserInteraction: the administrator may be asked for a password
        writer.WriteString("");
        return writer.CreateMessage();
    }
}
