using System.Buffers.Text;
using Candor.Client.LocalStore;
using Candor.Ohttp;

namespace Candor.Client.Transport;

/// <summary>
/// Gateway key configurations vouched for by the app's signed announcements, as last accepted
/// (<c>ohttp_keys</c>, docs/ohttp.md): trusted beside the shipped ones, so a key rotation needs no app
/// release. Taken only from announcements fetched through the relay, where the signer cannot tell
/// which device asks, and used only when the gateway serves them to everyone (the key check).
/// </summary>
internal static class AnnouncedGatewayKeys
{
    public const string StateKey = "ohttp.announced_keys";

    /// <summary>Keeps what the latest accepted document says: its configurations, or none when it names none.</summary>
    public static void Remember(ClientStore store, string? base64Url)
    {
        if (base64Url is null)
        {
            store.SetState(StateKey, null);
            return;
        }
        try
        {
            OhttpKeyConfig.ParseList(Base64Url.DecodeFromChars(base64Url));
            store.SetState(StateKey, base64Url);
        }
        catch (FormatException)
        {
            // Signed but unusable: trust nothing new rather than fail the whole announcement.
            store.SetState(StateKey, null);
        }
    }

    public static IReadOnlyList<OhttpKeyConfig> Read(ClientStore store)
    {
        try
        {
            return store.GetState(StateKey) is { } text ? OhttpKeyConfig.ParseList(Base64Url.DecodeFromChars(text)) : [];
        }
        catch (FormatException)
        {
            return []; // a damaged state row: the shipped configurations still apply
        }
    }
}
