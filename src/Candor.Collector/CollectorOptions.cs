namespace Candor.Collector;

/// <summary>
/// Everything an operator can set on a collector. <c>candor serve</c> reads them from the "Candor"
/// section of its <c>--config</c> JSON file, CANDOR_* environment variables and its flags
/// (docs/api.md, "Settings"); they are validated at start-up (<see cref="Validate"/>): a bad
/// setting stops the collector with a message rather than surfacing later as odd behaviour.
/// </summary>
public sealed class CollectorOptions
{
    /// <summary>
    /// A SQLite file path (the embedded default), or a PostgreSQL connection string (<c>Host=...;Database=...</c>)
    /// or <c>postgres://</c> URL (<see cref="Storage.ReportStores"/> picks the engine).
    /// </summary>
    public string Database { get; set; } = Path.Combine("data", "candor.db");

    /// <summary>Addresses to listen on.</summary>
    public List<string> Urls { get; set; } = ["http://127.0.0.1:5080"];

    /// <summary>Registry files to load (every version ever loaded is also kept in the database).</summary>
    public List<string> RegistryFiles { get; set; } = [];

    /// <summary>Largest request body on the wire (compressed or not); larger answers 413.</summary>
    public int MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Largest body after gzip decoding; guards against compression bombs.</summary>
    public int MaxDecodedBodyBytes { get; set; } = 1024 * 1024;

    public int MaxReportsPerBatch { get; set; } = 1000;

    /// <summary>
    /// Days raw rows are kept after their period ended; the retention job then deletes them (rollups stay),
    /// and reports for periods that ended earlier are refused. An app may set its own (<see cref="AppOptions.RetentionDays"/>).
    /// </summary>
    public int RetentionDays { get; set; } = 90;

    /// <summary>How long a retry with the same Idempotency-Key returns the first answer.</summary>
    public int IdempotencyDays { get; set; } = 14;

    /// <summary>Bounds of the random <c>next_report_after_seconds</c> (MARS: 3 to 10 days).</summary>
    public long NextReportMinSeconds { get; set; } = 3 * 86400;
    public long NextReportMaxSeconds { get; set; } = 10 * 86400;

    /// <summary>
    /// Folder of published announcements (<c>&lt;app&gt;.json</c>, written by <c>candor announce publish</c>);
    /// null: <c>GET /v1/apps/{app}/announcements</c> answers 404 (docs/announcements.md).
    /// </summary>
    public string? AnnouncementsDirectory { get; set; }

    /// <summary>Per-app overrides, keyed by app id.</summary>
    public Dictionary<string, AppOptions> Apps { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Batches that may wait for a commit before the collector answers 503.</summary>
    public int IngestQueueCapacity { get; set; } = 20_000;

    /// <summary>Most batches committed in one transaction.</summary>
    public int MaxGroupSize { get; set; } = 1024;

    /// <summary>Publishing: no published count comes from fewer than this many reports (privacy invariant 6).</summary>
    public int PublishK { get; set; } = 10;

    /// <summary>Publishing: published counts are floored to a multiple of this.</summary>
    public int PublishRounding { get; set; } = 10;

    /// <summary>Seconds a client is told to wait (Retry-After) when the collector is overloaded or the store is down.</summary>
    public int RetryAfterSeconds { get; set; } = 30;

    /// <summary>
    /// Batches per second one client address may post (a token bucket, burst twice this); more are
    /// answered 429 with Retry-After. 0 turns the limit off (load tests from one address). The address
    /// is a key in memory only: never stored, never logged.
    /// </summary>
    public int RateLimitPerAddressPerSecond { get; set; } = 100;

    /// <summary>
    /// The Oblivious HTTP gateway's key file (created with fresh keys when missing); null turns the
    /// gateway off: <c>/.well-known/ohttp-gateway</c> answers 404 (docs/ohttp.md).
    /// </summary>
    public string? OhttpKeysFile { get; set; }

    /// <summary>Days a rotated-out gateway key still opens requests, for clients that fetched it just before the rotation.</summary>
    public int OhttpKeyOverlapDays { get; set; } = 7;

    public (long Min, long Max) NextReportWindow(string app) =>
        Apps.TryGetValue(app, out var a) ? (a.NextReportMinSeconds ?? NextReportMinSeconds, a.NextReportMaxSeconds ?? NextReportMaxSeconds)
                                          : (NextReportMinSeconds, NextReportMaxSeconds);

    public int RetentionFor(string app) =>
        Apps.TryGetValue(app, out var a) && a.RetentionDays is { } days ? days : RetentionDays;

    /// <summary>Every problem with these settings, as messages naming the setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Database)) errors.Add("Database: give a SQLite file path or a PostgreSQL connection string.");
        if (Urls.Count == 0) errors.Add("Urls: give at least one address to listen on.");
        if (MaxBodyBytes is < 1024 or > 64 * 1024 * 1024) errors.Add($"MaxBodyBytes: {MaxBodyBytes} is outside 1024..67108864.");
        if (MaxDecodedBodyBytes < MaxBodyBytes) errors.Add("MaxDecodedBodyBytes must be at least MaxBodyBytes.");
        if (MaxReportsPerBatch < 1) errors.Add("MaxReportsPerBatch must be positive.");
        if (RetentionDays < 1) errors.Add("RetentionDays must be positive.");
        if (IdempotencyDays < 1) errors.Add("IdempotencyDays must be positive.");
        if (IngestQueueCapacity < 1) errors.Add("IngestQueueCapacity must be positive.");
        if (MaxGroupSize < 1) errors.Add("MaxGroupSize must be positive.");
        if (RetryAfterSeconds < 1) errors.Add("RetryAfterSeconds must be positive.");
        if (RateLimitPerAddressPerSecond < 0) errors.Add("RateLimitPerAddressPerSecond must be 0 (off) or positive.");
        if (OhttpKeyOverlapDays < 0) errors.Add("OhttpKeyOverlapDays must be 0 or positive.");
        if (PublishK < 2) errors.Add("PublishK must be at least 2: a threshold of 1 would publish single reports.");
        if (PublishRounding < 1) errors.Add("PublishRounding must be positive.");
        CheckWindow("", NextReportMinSeconds, NextReportMaxSeconds, errors);
        foreach (var (app, a) in Apps)
        {
            var (min, max) = NextReportWindow(app);
            CheckWindow($"Apps:{app}:", min, max, errors);
            if (a.RetentionDays is < 1) errors.Add($"Apps:{app}:RetentionDays must be positive.");
        }
        return errors;
    }

    private static void CheckWindow(string prefix, long min, long max, List<string> errors)
    {
        if (min < 0 || max < min)
            errors.Add($"{prefix}NextReportMinSeconds/NextReportMaxSeconds: need 0 <= min <= max, got {min} and {max}.");
    }
}

public sealed class AppOptions
{
    public long? NextReportMinSeconds { get; set; }
    public long? NextReportMaxSeconds { get; set; }

    /// <summary>This app's retention in days, instead of <see cref="CollectorOptions.RetentionDays"/>.</summary>
    public int? RetentionDays { get; set; }
}
