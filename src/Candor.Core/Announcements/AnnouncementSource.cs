using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Candor.Announcements;

/// <summary>
/// The operator's editable announcements of one app (<c>&lt;dir&gt;/&lt;app&gt;.source.json</c>), which
/// <c>candor announce publish</c> signs into <c>&lt;dir&gt;/&lt;app&gt;.json</c>, the file the collector
/// serves verbatim. See docs/announcements.md.
/// </summary>
internal sealed class AnnouncementSource
{
    [JsonPropertyName("app")] public string App { get; set; } = "";
    /// <summary>Serial of the last publication; the next one is higher.</summary>
    [JsonPropertyName("serial")] public long Serial { get; set; }
    [JsonPropertyName("newest_version")] public string? NewestVersion { get; set; }
    [JsonPropertyName("reportback_next")] public long ReportbackNext { get; set; } = 7 * 86400;
    [JsonPropertyName("reportback_server")] public string? ReportbackServer { get; set; }
    [JsonPropertyName("lifetime_days")] public int LifetimeDays { get; set; } = 30;
    [JsonPropertyName("news")] public List<NewsItem> News { get; set; } = [];
    /// <summary>Gateway key configurations to vouch for (base64url <c>application/ohttp-keys</c>); see <see cref="AnnouncementDocument.OhttpKeys"/>.</summary>
    [JsonPropertyName("ohttp_keys")] public string? OhttpKeys { get; set; }
    /// <summary>Statements introducing newer keys, kept so that every later publication carries them.</summary>
    [JsonPropertyName("key_statements")] public List<SignedEnvelope> KeyStatements { get; set; } = [];

    public static string SourcePath(string directory, string app) => Path.Combine(directory, app + ".source.json");
    public static string PublishedPath(string directory, string app) => Path.Combine(directory, app + ".json");

    public static AnnouncementSource Load(string directory, string app)
    {
        var path = SourcePath(directory, app);
        if (!File.Exists(path))
            return new AnnouncementSource { App = app };
        return JsonSerializer.Deserialize(File.ReadAllBytes(path), AnnouncementSourceJson.Default.AnnouncementSource)
            ?? throw new FormatException($"{path} is empty");
    }

    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        WriteAtomically(SourcePath(directory, App), JsonSerializer.SerializeToUtf8Bytes(this, AnnouncementSourceJson.Default.AnnouncementSource));
    }

    /// <summary>Adds a statement, signed by <paramref name="trustedKey"/>, that introduces <paramref name="newKey"/>.</summary>
    public void Endorse(ECDsa trustedKey, ECDsa newKey, DateTimeOffset now)
    {
        var spki = newKey.ExportSubjectPublicKeyInfo();
        var statement = new KeyStatement
        {
            App = App,
            KeyId = AnnouncementKeys.KeyId(spki),
            PublicKey = System.Buffers.Text.Base64Url.EncodeToString(spki),
            IssuedAt = now,
        };
        KeyStatements.RemoveAll(s => s.KeyId == AnnouncementKeys.KeyId(trustedKey) && Decode(s).KeyId == statement.KeyId);
        KeyStatements.Add(AnnouncementKeys.Sign(JsonSerializer.SerializeToUtf8Bytes(statement, AnnouncementJson.Default.KeyStatement), trustedKey));
    }

    private static KeyStatement Decode(SignedEnvelope s) =>
        JsonSerializer.Deserialize(System.Buffers.Text.Base64Url.DecodeFromChars(s.Payload), AnnouncementJson.Default.KeyStatement)!;

    /// <summary>Signs the next serial and writes the served file; returns the published document.</summary>
    public AnnouncementDocument Publish(string directory, ECDsa key, DateTimeOffset now)
    {
        Serial++;
        var doc = new AnnouncementDocument
        {
            App = App,
            Serial = Serial,
            KeyId = AnnouncementKeys.KeyId(key),
            IssuedAt = now,
            ExpiresAt = now.AddDays(LifetimeDays),
            NewestVersion = NewestVersion,
            ReportbackNext = ReportbackNext,
            ReportbackServer = ReportbackServer,
            News = [.. News],
            OhttpKeys = OhttpKeys,
        };
        var envelope = AnnouncementKeys.Sign(JsonSerializer.SerializeToUtf8Bytes(doc, AnnouncementJson.Default.AnnouncementDocument), key);
        var served = new SignedAnnouncements
        {
            Payload = envelope.Payload,
            KeyId = envelope.KeyId,
            Signature = envelope.Signature,
            KeyStatements = KeyStatements.Count > 0 ? [.. KeyStatements] : null,
        };
        Directory.CreateDirectory(directory);
        WriteAtomically(PublishedPath(directory, App), JsonSerializer.SerializeToUtf8Bytes(served, AnnouncementJson.Default.SignedAnnouncements));
        Save(directory);
        return doc;
    }

    // The collector may read the served file at any moment; it must never see half of one.
    private static void WriteAtomically(string path, byte[] bytes)
    {
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }
}

[JsonSerializable(typeof(AnnouncementSource))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class AnnouncementSourceJson : JsonSerializerContext;
