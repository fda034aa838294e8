using System.Buffers.Text;
using System.Globalization;
using Candor.Announcements;
using Candor.Client.LocalStore;

namespace Candor.Client.Announcements;

/// <summary>What a fetch produced: the verified document and the news meant for this installation.</summary>
public sealed record AnnouncementsResult(AnnouncementDocument Document, IReadOnlyList<NewsItem> News, DateTimeOffset? NextReportAt);

/// <summary>The coarse parameters of an opted-in fetch (MARS); a plain fetch sends none of them.</summary>
public sealed record FetchParameters(string Version, string Platform, string? Language, int? InstallAgeLog10)
{
    /// <summary><c>round(log10(install_age_days))</c>: 0 for under ~3 days, 1 up to ~31, 2 up to ~316, 3 beyond.</summary>
    public static int InstallAgeBucket(double days) => days < 1 ? 0 : (int)Math.Round(Math.Log10(days), MidpointRounding.AwayFromZero);

    public string ToQuery()
    {
        var q = $"version={Uri.EscapeDataString(Version)}&platform={Uri.EscapeDataString(Platform)}";
        if (Language is not null) q += "&language=" + Uri.EscapeDataString(Language);
        if (InstallAgeLog10 is { } a) q += "&install_age=" + a.ToString(CultureInfo.InvariantCulture);
        return q;
    }
}

/// <summary>
/// Fetches <c>GET /v1/apps/{app}/announcements</c> and decides whether to believe it
/// (<see cref="AnnouncementVerifier"/>). Accepted state — the highest serial and keys introduced by
/// rotation — lives in the client's local store, so a restart cannot be used to roll a client back.
/// </summary>
internal sealed class AnnouncementFetcher(HttpClient http, Uri baseUrl, string app, ClientStore store, IReadOnlyList<string> pinnedKeys)
{
    public const string SerialKey = "announcements.serial";
    public const string KeyPrefix = "announcements.key.";

    public async Task<VerifiedAnnouncements> FetchAsync(FetchParameters? parameters, DateTimeOffset now, CancellationToken cancel)
    {
        var path = $"v1/apps/{Uri.EscapeDataString(app)}/announcements" + (parameters is null ? "" : "?" + parameters.ToQuery());
        using var response = await http.GetAsync(new Uri(baseUrl, path), cancel);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"the collector answered {(int)response.StatusCode} to the announcements fetch", null, response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync(cancel);

        long lastSerial = store.GetState(SerialKey) is { } s ? long.Parse(s, CultureInfo.InvariantCulture) : 0;
        var verified = AnnouncementVerifier.Verify(body, app, TrustedKeys(), now, lastSerial);
        store.SetState(SerialKey, verified.Document.Serial.ToString(CultureInfo.InvariantCulture));
        foreach (var (id, spki) in verified.NewKeys)
            store.SetState(KeyPrefix + id, Base64Url.EncodeToString(spki));
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
