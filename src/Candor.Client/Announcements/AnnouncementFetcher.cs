using System.Buffers.Text;
using System.Globalization;
using Candor.Announcements;
using Candor.Client.LocalStore;

namespace Candor.Client.Announcements;

/// <summary>
/// Fetches <c>GET /v1/apps/{app}/announcements</c> and decides whether to believe it
/// (<see cref="AnnouncementVerifier"/>). Accepted state — the highest serial and keys introduced by
/// rotation — lives in the client's local store, so a restart cannot be used to roll a client back.
/// </summary>
/// <param name="throughRelay">The fetch goes through an Oblivious HTTP relay: only then are the gateway keys a document vouches for remembered.</param>
internal sealed class AnnouncementFetcher(Transport.ClientTransport transport, string app, ClientStore store, IReadOnlyList<string> pinnedKeys, bool throughRelay = false)
{
    public const string SerialKey = "announcements.serial";
    public const string KeyPrefix = "announcements.key.";

    public async Task<VerifiedAnnouncements> FetchAsync(FetchParameters parameters, DateTimeOffset now, CancellationToken cancel)
    {
        var path = $"v1/apps/{Uri.EscapeDataString(app)}/announcements" + (parameters.Values.Count == 0 ? "" : "?" + parameters.ToQuery());
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(transport.BaseUrl, path));
        using var response = await transport.SendAsync(request, cancel).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"the collector answered {(int)response.StatusCode} to the announcements fetch", null, response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync(cancel).ConfigureAwait(false);

        long lastSerial = store.GetState(SerialKey) is { } s ? long.Parse(s, CultureInfo.InvariantCulture) : 0;
        var verified = AnnouncementVerifier.Verify(body, app, TrustedKeys(), now, lastSerial);
        store.SetState(SerialKey, verified.Document.Serial.ToString(CultureInfo.InvariantCulture));
        foreach (var (id, spki) in verified.NewKeys)
            store.SetState(KeyPrefix + id, Base64Url.EncodeToString(spki));
        // Fetched directly, the signer could tell this device apart and vouch for a key made for it alone.
        if (throughRelay)
            Transport.AnnouncedGatewayKeys.Remember(store, verified.Document.OhttpKeys);
        return verified;
    }

    private Dictionary<string, byte[]> TrustedKeys()
    {
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var text in pinnedKeys)
        {
            var spki = AnnouncementKeys.ParsePublicKey(text);
            keys[AnnouncementKeys.KeyId(spki)] = spki;
        }
        foreach (var (key, value) in store.StatesWithPrefix(KeyPrefix))
            keys[key[KeyPrefix.Length..]] = Base64Url.DecodeFromChars(value);
        return keys;
    }
}
