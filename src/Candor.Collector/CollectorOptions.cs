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

    /// <summary>
    /// Addresses of the operator listener: <c>/metrics</c>, <c>/readyz</c> and <c>/healthz</c>, never
    /// routed from <see cref="Urls"/> (docs/operations.md, "The operator listener"). Loopback by default:
    /// bind it wider only on a network that clients cannot reach (Prometheus, the load balancer's probes).
    /// </summary>
    public List<string> OperatorUrls { get; set; } = ["http://127.0.0.1:5081"];

    /// <summary>
    /// Folder of the collector's own files (the transparency log's key, <c>log-key.pem</c>); null: the
    /// SQLite database's folder, or <c>data</c> under the working directory with PostgreSQL (which has no
    /// file of its own to sit beside). Collectors that share one PostgreSQL share one log key by pointing
    /// this at one shared folder (a shared volume): the first to start creates the key, the others use it.
    /// </summary>
    public string? DataDirectory { get; set; }

    /// <summary>The folder <see cref="DataDirectory"/> names, or its default for the engine <see cref="Database"/> picks.</summary>
    public string DataDirectoryOrDefault() => DataDirectory ?? (Postgres.PostgresConnectionString.IsPostgres(Database)
        ? "data"
        : Path.GetDirectoryName(Path.GetFullPath(Database)) ?? ".");

    /// <summary>
    /// The log key's file: <c>Transparency:KeyFile</c>, else <c>log-key.pem</c> in the data directory.
    /// (It replaced <c>TransparencyOptions.KeyFileFor(database)</c>: a different argument under the same
    /// signature would have compiled and pointed callers at the wrong file.)
    /// </summary>
    public string LogKeyFile() => Transparency.KeyFile ?? Path.Combine(DataDirectoryOrDefault(), "log-key.pem");

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

    /// <summary>
    /// Seconds between rewrites of the store in key order (privacy invariant 9; docs/privacy.md): cells
    /// written since the last rewrite are in write order on disk for at most this long. A rewrite pauses
    /// ingest while it runs (the queue absorbs it), so very large databases may want a longer interval.
    /// </summary>
    public int RewriteIntervalSeconds { get; set; } = 600;

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

    /// <summary>
    /// Groups that may be between their commit and their fsync at once: the next group is written while
    /// the previous ones reach the disk. 1 restores one group at a time. Unset: 4 on SQLite, 1 on
    /// PostgreSQL, where a second group waits on the first one's row locks until its commit anyway and
    /// the overlap only split the groups (half the batches per commit, measured in docs/benchmarks.md).
    /// </summary>
    public int? MaxGroupsInFlight { get; set; }

    /// <summary>The <see cref="MaxGroupsInFlight"/> that applies to a store of this engine.</summary>
    public int GroupsInFlightFor(string engine) => MaxGroupsInFlight ?? (engine == "sqlite" ? 4 : 1);

    /// <summary>
    /// Under load a group appends its summed cells to the cell journal as one row; the next group folds the
    /// journal (sums the rows and upserts each cell once) when it holds this many rows. 0 turns the journal
    /// off: every group upserts its cells (docs/operations.md, "The cell journal").
    /// </summary>
    public int CellJournalRows { get; set; } = Storage.CellJournalPolicy.DefaultRows;

    /// <summary>... or when its oldest row is this old: how long public reads may lag behind ingest under load.</summary>
    public int CellJournalMilliseconds { get; set; } = Storage.CellJournalPolicy.DefaultMilliseconds;

    /// <summary>The shipped total budget (docs/privacy.md, "The privacy budget": why 4).</summary>
    public const decimal DefaultEpsilonPerWeek = 4m;

    /// <summary>
    /// Publishing (privacy invariant 6), the primary privacy setting: the total epsilon one installation's
    /// reports of one ISO week may cost, across every metric of its app. The publisher splits it equally
    /// over the metric-periods of a week (<see cref="Publishing.PrivacyBudget"/>: a weekly metric is one,
    /// a daily metric seven), so adding metrics makes each noisier instead of silently raising the total.
    /// Null: <see cref="DefaultEpsilonPerWeek"/>, unless the old <see cref="PublishEpsilon"/> is set. At
    /// most 4 decimals, so the sampler gets it as an exact fraction.
    /// </summary>
    public decimal? PublishEpsilonPerWeek { get; set; }

    /// <summary>
    /// The old setting, kept so existing configurations start: epsilon per installation for one metric and
    /// one period. When set (and <see cref="PublishEpsilonPerWeek"/> is not), it keeps that meaning, and the
    /// weekly total becomes what it adds up to for each app (shown everywhere the budget is). Both set is an
    /// error: one of them would be silently ignored.
    /// </summary>
    public decimal? PublishEpsilon { get; set; }

    /// <summary>Publishing: the chance, at most, that a value held by one installation is published; the threshold is chosen from it.</summary>
    public double PublishDelta { get; set; } = 1e-6;

    /// <summary>
    /// Publishing: a period is final, and published, this many days after it ends. Clients report 3 to 10
    /// days after a period ends plus up to 3 days of jitter, hence 14. Must be less than retention.
    /// </summary>
    public int PublishAfterDays { get; set; } = 14;

    /// <summary>Publishing, display only: published counts are floored to a multiple of this (1: exact noisy counts).</summary>
    public int PublishRounding { get; set; } = 1;

    /// <summary>
    /// Publishing: minutes between runs of the release job, which stores the release of every period that
    /// has become final (it also runs early when a public read finds a final period without one). 0: this
    /// collector never releases; another collector on the same database does (docs/operations.md).
    /// </summary>
    public int ReleaseEveryMinutes { get; set; } = 10;

    /// <summary>
    /// Publishing: milliseconds a public read that finds final periods without a release waits for the
    /// release job, once per request, before it answers with those periods marked "releasing".
    /// </summary>
    public int ReleaseWaitMilliseconds { get; set; } = 2000;

    /// <summary>Seconds a client is told to wait (Retry-After) when the collector is overloaded or the store is down.</summary>
    public int RetryAfterSeconds { get; set; } = 30;

    /// <summary>
    /// Batches per second one client address may post (a token bucket, burst twice this); more are
    /// answered 429 with Retry-After. 0 turns the limit off (load tests from one address). The address
    /// is a key in memory only: never stored, never logged.
    /// </summary>
    public int RateLimitPerAddressPerSecond { get; set; } = 100;

    /// <summary>Anonymous tokens (Privacy Pass): issuer, keys, budget, trusted proxies.</summary>
    public PrivacyPass.PrivacyPassOptions PrivacyPass { get; set; } = new();

    /// <summary>Whether <paramref name="app"/>'s report posts need a token; always Off when no key directory is set.</summary>
    public PrivacyPass.TokenMode TokenModeFor(string app) =>
        PrivacyPass.KeyDirectory is null ? Collector.PrivacyPass.TokenMode.Off
        : Apps.TryGetValue(app, out var a) && a.Tokens is { } mode ? mode : PrivacyPass.DefaultMode;

    /// <summary>The public transparency log of report commitments: on by default (docs/transparency.md).</summary>
    public Transparency.TransparencyOptions Transparency { get; set; } = new();

    /// <summary>Log lines as plain text (the default) or one JSON object per line (<c>Json</c>).</summary>
    public LogFormat LogFormat { get; set; } = LogFormat.Text;

    /// <summary>
    /// The Oblivious HTTP gateway's key file (created with fresh keys when missing); null turns the
    /// gateway off: <c>/.well-known/ohttp-gateway</c> answers 404 (docs/ohttp.md).
    /// </summary>
    public string? OhttpKeysFile { get; set; }

    /// <summary>Days a rotated-out gateway key still opens requests, for clients that fetched it just before the rotation.</summary>
    public int OhttpKeyOverlapDays { get; set; } = 7;

    /// <summary>
    /// A DAP-09 task file: this collector also serves as the Leader or Helper of the tasks in it, with Prio3
    /// (docs/dap.md). Null: no DAP endpoints.
    /// </summary>
    public string? DapTasksFile { get; set; }

    /// <summary>
    /// Seconds between the Leader's aggregation turns (a collection poll also runs one). Longer turns only
    /// delay aggregation; the benchmark (bench/run-dap.sh) sets it high to time uploads and aggregation apart.
    /// </summary>
    public int DapAggregationIntervalSeconds { get; set; } = 10;

    /// <summary>
    /// Event mapping files (the agent's format, each naming its app's registry): those apps also accept
    /// the uploads of deployed eos-event-recorder-daemon installations at
    /// <c>PUT /v1/apps/{app}/azafea/{version}/{sha512}</c> (docs/linux.md). Empty: the route answers 404.
    /// </summary>
    public List<string> AzafeaEventFiles { get; set; } = [];

    /// <summary>Largest Azafea upload on the wire; a larger one is answered 200 and dropped (a daemon resends a refused upload forever).</summary>
    public int MaxAzafeaBodyBytes { get; set; } = 512 * 1024;

    /// <summary>
    /// DAP Collector files (<c>collector.json</c> from <c>candor dap task</c>), one per split-trust metric:
    /// this collector collects each final period's aggregate from the Leader and publishes it like any
    /// metric (docs/dap.md, "Publishing"). Empty: split-trust metrics stay "releasing".
    /// </summary>
    public List<string> DapCollectorFiles { get; set; } = [];

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
        foreach (var url in Urls)
            if (UrlProblem(url) is { } problem) errors.Add($"Urls: '{url}' {problem}");
        if (OperatorUrls.Count == 0) errors.Add("OperatorUrls: give at least one address for /metrics and /readyz (for example http://127.0.0.1:5081).");
        foreach (var url in OperatorUrls)
        {
            if (UrlProblem(url) is { } problem) errors.Add($"OperatorUrls: '{url}' {problem}");
            else if (SharesAListener(url, Urls) is { } shared)
                errors.Add($"OperatorUrls: '{url}' is also a public address ('{shared}' in Urls); the operator listener needs its own port, or /metrics would be public.");
        }
        if (MaxBodyBytes is < 1024 or > 64 * 1024 * 1024) errors.Add($"MaxBodyBytes: {MaxBodyBytes} is outside 1024..67108864.");
        if (MaxDecodedBodyBytes < MaxBodyBytes) errors.Add("MaxDecodedBodyBytes must be at least MaxBodyBytes.");
        if (MaxReportsPerBatch < 1) errors.Add("MaxReportsPerBatch must be positive.");
        if (RetentionDays < 1) errors.Add("RetentionDays must be positive.");
        if (IdempotencyDays < 1) errors.Add("IdempotencyDays must be positive.");
        if (RewriteIntervalSeconds is < 1 or > 86400) errors.Add($"RewriteIntervalSeconds: {RewriteIntervalSeconds} is outside 1..86400.");
        if (IngestQueueCapacity < 1) errors.Add("IngestQueueCapacity must be positive.");
        if (MaxGroupSize < 1) errors.Add("MaxGroupSize must be positive.");
        if (MaxGroupsInFlight is < 1 or > 64) errors.Add($"MaxGroupsInFlight: {MaxGroupsInFlight} is outside 1..64.");
        if (CellJournalRows is < 0 or > 100_000) errors.Add($"CellJournalRows: {CellJournalRows} is outside 0..100000 (0: no journal).");
        if (CellJournalMilliseconds is < 1 or > 60_000) errors.Add($"CellJournalMilliseconds: {CellJournalMilliseconds} is outside 1..60000.");
        if (RetryAfterSeconds < 1) errors.Add("RetryAfterSeconds must be positive.");
        if (RateLimitPerAddressPerSecond < 0) errors.Add("RateLimitPerAddressPerSecond must be 0 (off) or positive.");
        if (DapAggregationIntervalSeconds is < 1 or > 86400) errors.Add($"DapAggregationIntervalSeconds: {DapAggregationIntervalSeconds} is outside 1..86400.");
        if (OhttpKeyOverlapDays < 0) errors.Add("OhttpKeyOverlapDays must be 0 or positive.");
        if (PublishEpsilon is { } perMetric && (perMetric is <= 0 or > 10 || perMetric * 10000 != decimal.Truncate(perMetric * 10000)))
            errors.Add($"PublishEpsilon: {perMetric} must be above 0, at most 10, with at most 4 decimals.");
        if (PublishEpsilonPerWeek is { } perWeek && (perWeek is <= 0 or > 1000 || perWeek * 10000 != decimal.Truncate(perWeek * 10000)))
            errors.Add($"PublishEpsilonPerWeek: {perWeek} must be above 0, at most 1000, with at most 4 decimals.");
        if (PublishEpsilon is not null && PublishEpsilonPerWeek is not null)
            errors.Add("PublishEpsilon (the old per-metric, per-period setting) and PublishEpsilonPerWeek are both set: keep only PublishEpsilonPerWeek, the total per installation and week (docs/privacy.md, \"The privacy budget\").");
        if (PublishDelta is not (> 0 and <= 1e-3)) errors.Add($"PublishDelta: {PublishDelta} must be above 0 and at most 0.001.");
        if (PublishAfterDays < 1) errors.Add("PublishAfterDays must be positive.");
        else if (PublishAfterDays >= RetentionDays) errors.Add($"PublishAfterDays ({PublishAfterDays}) must be less than RetentionDays ({RetentionDays}): a period must be published while its reports are still accepted and kept.");
        if (PublishRounding < 1) errors.Add("PublishRounding must be positive.");
        if (ReleaseEveryMinutes is < 0 or > 1440) errors.Add($"ReleaseEveryMinutes: {ReleaseEveryMinutes} is outside 0..1440 (0: this collector does not release).");
        if (ReleaseWaitMilliseconds is < 0 or > 30000) errors.Add($"ReleaseWaitMilliseconds: {ReleaseWaitMilliseconds} is outside 0..30000.");
        CheckWindow("", NextReportMinSeconds, NextReportMaxSeconds, errors);
        errors.AddRange(PrivacyPass.Validate());
        errors.AddRange(Transparency.Validate());
        foreach (var (app, a) in Apps)
        {
            var (min, max) = NextReportWindow(app);
            CheckWindow($"Apps:{app}:", min, max, errors);
            if (a.RetentionDays is < 1) errors.Add($"Apps:{app}:RetentionDays must be positive.");
            else if (a.RetentionDays is { } days && PublishAfterDays >= days)
                errors.Add($"Apps:{app}:RetentionDays ({days}) must be more than PublishAfterDays ({PublishAfterDays}).");
        }
        return errors;
    }

    private static string? UrlProblem(string url)
    {
        if (!url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return "is not an address to listen on: give http://host:port (for example http://127.0.0.1:5080 or http://0.0.0.0:5080).";
        try
        {
            var binding = Microsoft.AspNetCore.Http.BindingAddress.Parse(url);
            if (binding.Host.Length == 0)
                return "names no host: give http://host:port.";
            if (binding.Port is < 0 or > 65535)
                return "has a port outside 0..65535.";
            return null;
        }
        catch (FormatException)
        {
            return "is not an address to listen on: give http://host:port (for example http://127.0.0.1:5080).";
        }
    }

    /// <summary>The public URL that would bind the same port as <paramref name="url"/> (port 0 never clashes: each gets its own).</summary>
    private static string? SharesAListener(string url, IEnumerable<string> publicUrls)
    {
        var binding = Microsoft.AspNetCore.Http.BindingAddress.Parse(url);
        if (binding.Port == 0)
            return null;
        return publicUrls.FirstOrDefault(p => UrlProblem(p) is null && Microsoft.AspNetCore.Http.BindingAddress.Parse(p).Port == binding.Port);
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

    /// <summary>This app's Privacy Pass token mode, instead of <c>PrivacyPass:DefaultMode</c>.</summary>
    public PrivacyPass.TokenMode? Tokens { get; set; }
}
