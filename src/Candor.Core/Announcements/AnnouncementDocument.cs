using System.Text.Json.Serialization;

namespace Candor.Announcements;

/// <summary>
/// The signed message of the day (MARS). These are the fields inside <see cref="SignedEnvelope.Payload"/>;
/// a client reads them only after the signature over the exact payload bytes has been checked.
/// </summary>
public sealed record AnnouncementDocument
{
    /// <summary>The application id the announcements are for; a client refuses a document for another app.</summary>
    [JsonPropertyName("app")] public required string App { get; init; }
    /// <summary>Increases with every publication; clients refuse a serial lower than the last one they accepted (rollback).</summary>
    [JsonPropertyName("serial")] public required long Serial { get; init; }
    /// <summary>The key that signed this payload; repeated inside the signed bytes so it cannot be swapped.</summary>
    [JsonPropertyName("key_id")] public required string KeyId { get; init; }
    /// <summary>When the document was signed.</summary>
    [JsonPropertyName("issued_at")] public required DateTimeOffset IssuedAt { get; init; }
    /// <summary>After this moment clients refuse the document as expired.</summary>
    [JsonPropertyName("expires_at")] public required DateTimeOffset ExpiresAt { get; init; }
    /// <summary>The newest release of the application, when the publisher names one.</summary>
    [JsonPropertyName("newest_version"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? NewestVersion { get; init; }
    /// <summary>Seconds until the client should next report; it adds its own random jitter.</summary>
    [JsonPropertyName("reportback_next")] public long ReportbackNext { get; init; }
    /// <summary>Where to report, as the publisher states it (informational for now); null when not stated.</summary>
    [JsonPropertyName("reportback_server"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? ReportbackServer { get; init; }
    /// <summary>The announcements for every platform and version; <see cref="NewsItem.AppliesTo"/> picks one installation's.</summary>
    [JsonPropertyName("news")] public IReadOnlyList<NewsItem> News { get; init; } = [];
    /// <summary>
    /// Oblivious HTTP gateway key configurations the signer vouches for (base64url of
    /// <c>application/ohttp-keys</c>): a client that fetched this through its relay also trusts these, so a
    /// gateway key rotation needs no app release (docs/ohttp.md). Null: none.
    /// </summary>
    [JsonPropertyName("ohttp_keys"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? OhttpKeys { get; init; }
}

/// <summary>One announcement; <see cref="Platforms"/> and the version range narrow who sees it.</summary>
public sealed record NewsItem
{
    /// <summary>A stable id, so a client shows an item once.</summary>
    [JsonPropertyName("id")] public required string Id { get; init; }
    /// <summary>The headline.</summary>
    [JsonPropertyName("title")] public required string Title { get; init; }
    /// <summary>The text of the item.</summary>
    [JsonPropertyName("body")] public string Body { get; init; } = "";
    /// <summary><c>info</c> or <c>security</c>.</summary>
    [JsonPropertyName("severity")] public string Severity { get; init; } = "info";
    /// <summary>The platforms the item is for (compared without case); null or empty: every platform.</summary>
    [JsonPropertyName("platforms"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<string>? Platforms { get; init; }
    /// <summary>Inclusive lower bound of the app versions this item is for.</summary>
    [JsonPropertyName("min_version"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? MinVersion { get; init; }
    /// <summary>Inclusive upper bound of the app versions this item is for.</summary>
    [JsonPropertyName("max_version"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? MaxVersion { get; init; }

    /// <summary>The values <see cref="Severity"/> may take.</summary>
    public static readonly string[] Severities = ["info", "security"];

    /// <summary>Whether this item is meant for an installation of <paramref name="version"/> on <paramref name="platform"/>.</summary>
    public bool AppliesTo(string platform, string version)
    {
        if (Platforms is { Count: > 0 } p && !p.Contains(platform, StringComparer.OrdinalIgnoreCase))
            return false;
        if (MinVersion is null && MaxVersion is null)
            return true;
        // A version the client cannot compare is not "in range": targeted news is for known versions only.
        if (!System.Version.TryParse(version, out var v))
            return false;
        if (MinVersion is not null && (!System.Version.TryParse(MinVersion, out var min) || v < min))
            return false;
        if (MaxVersion is not null && (!System.Version.TryParse(MaxVersion, out var max) || v > max))
            return false;
        return true;
    }
}

/// <summary>
/// What the collector serves and clients verify: <c>payload</c> is base64url of the exact UTF-8 JSON
/// bytes that were signed, <c>signature</c> base64url of the IEEE P1363 <c>r||s</c> ECDSA P-256/SHA-256
/// signature over those bytes. No JSON canonicalisation is involved: the bytes are the bytes.
/// </summary>
public sealed record SignedEnvelope
{
    /// <summary>base64url of the exact UTF-8 JSON bytes that were signed.</summary>
    [JsonPropertyName("payload")] public required string Payload { get; init; }
    /// <summary>The id of the key that signed them.</summary>
    [JsonPropertyName("key_id")] public required string KeyId { get; init; }
    /// <summary>base64url of the IEEE P1363 ECDSA P-256/SHA-256 signature over the payload bytes.</summary>
    [JsonPropertyName("signature")] public required string Signature { get; init; }
}

/// <summary>The served document: the signed announcements plus statements that introduce newer keys.</summary>
public sealed record SignedAnnouncements
{
    /// <summary>base64url of the signed <see cref="AnnouncementDocument"/>'s exact UTF-8 JSON bytes.</summary>
    [JsonPropertyName("payload")] public required string Payload { get; init; }
    /// <summary>The id of the key that signed them.</summary>
    [JsonPropertyName("key_id")] public required string KeyId { get; init; }
    /// <summary>base64url of the IEEE P1363 ECDSA P-256/SHA-256 signature over the payload bytes.</summary>
    [JsonPropertyName("signature")] public required string Signature { get; init; }
    /// <summary>Each one's payload is a <see cref="KeyStatement"/>, signed by an older key.</summary>
    [JsonPropertyName("key_statements"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<SignedEnvelope>? KeyStatements { get; init; }

    /// <summary>The announcements' own signed envelope, without the key statements.</summary>
    public SignedEnvelope Envelope => new() { Payload = Payload, KeyId = KeyId, Signature = Signature };
}

/// <summary>"Trust <see cref="PublicKey"/> (id <see cref="KeyId"/>) for <see cref="App"/>", signed by an already trusted key.</summary>
internal sealed record KeyStatement
{
    [JsonPropertyName("app")] public required string App { get; init; }
    [JsonPropertyName("key_id")] public required string KeyId { get; init; }
    /// <summary>base64url of the DER SubjectPublicKeyInfo of the new P-256 key.</summary>
    [JsonPropertyName("public_key")] public required string PublicKey { get; init; }
    [JsonPropertyName("issued_at")] public required DateTimeOffset IssuedAt { get; init; }
}

[JsonSerializable(typeof(AnnouncementDocument))]
[JsonSerializable(typeof(SignedAnnouncements))]
[JsonSerializable(typeof(KeyStatement))]
[JsonSourceGenerationOptions(WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
internal sealed partial class AnnouncementJson : JsonSerializerContext;
