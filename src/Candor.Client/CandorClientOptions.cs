using Candor.Registry;

namespace Candor.Client;

/// <summary>Everything a <see cref="CandorClient"/> needs. Only <see cref="DataDirectory"/> and a registry are required.</summary>
public sealed class CandorClientOptions
{
    /// <summary>The application's registry, already parsed. Either this or <see cref="RegistryFile"/>.</summary>
    public MetricRegistry? Registry { get; set; }

    /// <summary>Path of the application's registry YAML. Either this or <see cref="Registry"/>.</summary>
    public string? RegistryFile { get; set; }

    /// <summary>Base address of the collector, e.g. <c>https://metrics.example.org/</c>. Null: nothing is ever uploaded.</summary>
    public Uri? CollectorUrl { get; set; }

    /// <summary>Folder for the consent file and the local store; one per application and user.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>The clock. Tests pass a manual one; periods are always UTC days and ISO weeks.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Development mode: unknown metric names, a handle of the wrong type and enum values the registry
    /// does not allow throw. Off (release): they are dropped silently, so a registry mistake never crashes an app.
    /// </summary>
    public bool ThrowOnMisuse { get; set; }

    /// <summary>
    /// Development only, to see reports arrive on a collector running on your machine (<c>candor serve</c>):
    /// every upload cycle sends at once, without the random wait, and sends the periods still running as
    /// they stand (so a period can arrive in several parts). <see cref="CandorClient.Create(CandorClientOptions)"/> (and <c>AddCandor</c>) refuses it
    /// unless <see cref="CollectorUrl"/> is a loopback address (127.0.0.1, ::1, localhost), so a build that
    /// forgets to turn it off cannot send unfinished periods to a real collector.
    /// </summary>
    public bool DevelopmentUploads { get; set; }

    /// <summary>How often in-memory counts are written to the local store (also on dispose).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the background loop checks whether an upload is due.</summary>
    public TimeSpan UploadCheckInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Bounds of the random wait after the first period closes before the first upload (MARS: 3 to 10 days).</summary>
    public TimeSpan FirstUploadDelayMin { get; set; } = TimeSpan.FromDays(3);

    /// <inheritdoc cref="FirstUploadDelayMin"/>
    public TimeSpan FirstUploadDelayMax { get; set; } = TimeSpan.FromDays(10);

    /// <summary>First retry delay after a failed upload; doubled per failure, with jitter, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <inheritdoc cref="InitialBackoff"/>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Most batches the outbox keeps; the oldest is dropped first (and the drop logged).</summary>
    public int MaxOutboxBatches { get; set; } = 30;

    /// <summary>
    /// Periods older than this are neither sealed nor sent: the collector refuses them (its retention,
    /// 90 days by default) and would refuse the whole batch with them.
    /// </summary>
    public int RetentionDays { get; set; } = 90;

    /// <summary>Start timers that flush and upload in the background. Tests and the CLI turn this off and call the methods themselves.</summary>
    public bool BackgroundWork { get; set; } = true;

    /// <summary>Mark <c>candor.active</c> for each day the client flushes. The CLI turns it off: looking at the data is not using the app.</summary>
    public bool RecordActivity { get; set; } = true;

    /// <summary>Transport for uploads (tests, proxies, SOCKS). Null: a plain <see cref="SocketsHttpHandler"/>.</summary>
    public HttpMessageHandler? HttpMessageHandler { get; set; }

    /// <summary>Environment variables (tests replace them). Null: the process environment.</summary>
    public Func<string, string?>? Environment { get; set; }

    /// <summary>Machine policy file; null: <c>CANDOR_POLICY_FILE</c> or the platform default (see docs/client.md).</summary>
    public string? PolicyFile { get; set; }

    /// <summary>Random source for upload delays and jitter (tests seed it).</summary>
    public Random Random { get; set; } = Random.Shared;

    /// <summary>Entries kept in the local history of sent batches and in the local log.</summary>
    public int MaxHistoryEntries { get; set; } = 100;

    /// <summary>
    /// Public keys (PEM or base64url DER SubjectPublicKeyInfo, P-256) trusted to sign this app's
    /// announcements; keys introduced by a statement from one of these are trusted too (docs/announcements.md).
    /// Empty: announcements cannot be fetched.
    /// </summary>
    public List<string> AnnouncementKeys { get; set; } = [];

    /// <summary>The app's version and platform: they select targeted news, and an opted-in fetch sends them.</summary>
    public string AppVersion { get; set; } = "0.0";

    /// <inheritdoc cref="AppVersion"/>
    public string Platform { get; set; } = OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "macos" : OperatingSystem.IsLinux() ? "linux" : "other";

    /// <summary>UI language sent with an opted-in announcements fetch; null: not sent.</summary>
    public string? Language { get; set; }

    /// <summary>When the app was installed; an opted-in fetch sends only round(log10(age in days)).</summary>
    public DateTimeOffset? InstalledAt { get; set; }

    /// <summary>
    /// About how often the background loop fetches announcements (when <see cref="AnnouncementKeys"/> is set
    /// and consent allows it): each next fetch is drawn at random between half and one and a half of this.
    /// </summary>
    public TimeSpan AnnouncementInterval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Most random delay the device adds to every collector hint (<c>next_report_after_seconds</c>,
    /// <c>reportback_next</c>) before the next upload (MARS: 3 days). See <see cref="MinUploadInterval"/>.
    /// </summary>
    public TimeSpan ReportbackJitter { get; set; } = TimeSpan.FromDays(3);

    /// <summary>
    /// Bounds the device enforces on a collector's hint for the next upload: shorter hints are raised to
    /// <see cref="MinUploadInterval"/>, longer ones cut to <see cref="MaxUploadInterval"/>, and the result
    /// counts in whole days, before <see cref="ReportbackJitter"/> is added. A collector cannot pick a
    /// device's next upload moment, only a whole number of days within these bounds (docs/privacy.md).
    /// </summary>
    public TimeSpan MinUploadInterval { get; set; } = TimeSpan.FromDays(1);

    /// <inheritdoc cref="MinUploadInterval"/>
    public TimeSpan MaxUploadInterval { get; set; } = TimeSpan.FromDays(10);

    /// <summary>
    /// How reports and announcement fetches travel (ignored when <see cref="HttpMessageHandler"/> is set):
    /// direct, through Tor when available, or only through Tor. See docs/privacy.md, "Transport".
    /// </summary>
    public Transport.TransportMode Transport { get; set; } = Candor.Client.Transport.TransportMode.TorIfAvailable;

    /// <summary>The SOCKS5 proxy for <see cref="Transport"/>; only <c>socks5://</c>. Default: Tor's 127.0.0.1:9050.</summary>
    public Uri SocksProxy { get; set; } = Candor.Client.Transport.ReportingTransport.DefaultTorProxy;

    /// <summary>
    /// Fetch Privacy Pass tokens ahead of time and attach one to each upload (for collectors whose app
    /// requires them; docs/privacy.md, "Anonymous tokens"). Refills go through <see cref="Transport"/> too.
    /// </summary>
    public bool PrivateTokens { get; set; }

    /// <summary>The token issuer when it is not the collector itself.</summary>
    public Uri? TokenIssuer { get; set; }

    /// <summary>Tokens the wallet keeps.</summary>
    public int TokenWalletSize { get; set; } = 4;

    /// <summary>Each wallet refill happens at a random moment within this long after the previous one.</summary>
    public TimeSpan TokenRefillInterval { get; set; } = TimeSpan.FromDays(2);

    /// <summary>
    /// The <c>ohttp</c> transport: send through this Oblivious HTTP relay, sealed to the gateway key shipped
    /// with the app; <see cref="Transport"/> then says how the relay is reached. Null: no relay. See docs/ohttp.md.
    /// </summary>
    public Transport.OhttpTransportOptions? Ohttp { get; set; }

    /// <summary>
    /// Send a commitment with every report (a hash of the report and a secret nonce kept on the device), so
    /// the user can later check that the report is in the collector's public log and delete it by receipt
    /// (docs/transparency.md). On by default; off, reports carry no commitment and no receipts are kept.
    /// </summary>
    public bool ReportCommitments { get; set; } = true;

    /// <summary>
    /// The collector's log key, in C2SP vkey form (<c>name+keyid+base64</c>), shipped with the app: every
    /// checkpoint must be signed by it. Null: the key is fetched from <c>/v1/log/key</c> on first use and
    /// kept (trust on first use, weaker: a collector that lies from the start is not caught).
    /// </summary>
    public string? LogKey { get; set; }

    /// <summary>
    /// How long after the collector accepted a report it must be in the log; a report still not included
    /// after this is reported missing (the collector dropped it). Epochs are hourly by default, but a
    /// collector seals one only when enough batches wait (its <c>MinEpochBatches</c>, 128) and a report
    /// lands in one of the next 8 epochs, which on a quiet app can take days: hence a week (plus
    /// <see cref="LogCheckWindow"/>). A collector receiving fewer than about 150 batches a day needs more
    /// (docs/transparency.md, "The latency it costs").
    /// </summary>
    public TimeSpan LogMissingAfter { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Background checks of receipts: each receipt is checked once, alone, at a random time within this
    /// window after <see cref="LogMissingAfter"/>, so the checks of one batch never go out together.
    /// </summary>
    public TimeSpan LogCheckWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Deletions scheduled with <see cref="CandorClient.ScheduleReportDeletion"/> leave one receipt per request,
    /// each at its own uniformly random moment within this window, like split uploads: a collector (or the
    /// public log) then cannot see how many reports one device deleted, or that they were deleted together.
    /// </summary>
    public TimeSpan DeletionWindow { get; set; } = TimeSpan.FromDays(3);

    /// <summary>
    /// Send each report of a closed period in its own request, at its own uniformly random moment
    /// between <see cref="FirstUploadDelayMin"/> and <see cref="FirstUploadDelayMax"/> after its period
    /// ended, so that a collector behind a relay or Tor cannot see which values one installation sent
    /// together. Null (the default): on with <see cref="Ohttp"/> or <see cref="Transport.TransportMode.TorRequired"/>,
    /// off otherwise (a direct connection's address links the requests anyway). Costs about one request
    /// per report instead of one per upload; see docs/ohttp.md, "Split uploads".
    /// </summary>
    public bool? SplitUploads { get; set; }

    /// <summary>When and how reports leave the device: the upload schedule, backoff and the outbox. The group's members forward to the flat properties (<see cref="Options.UploadOptions"/>).</summary>
    public Options.UploadOptions Uploads => new(this);

    /// <summary>Anonymous Privacy Pass tokens (docs/client.md, "Anonymous tokens"). The group's members forward to the flat properties (<see cref="Options.PrivacyPassClientOptions"/>).</summary>
    public Options.PrivacyPassClientOptions PrivacyPass => new(this);

    /// <summary>Receipts and checks against the collector's transparency log (docs/transparency.md). The group's members forward to the flat properties (<see cref="Options.TransparencyLogOptions"/>).</summary>
    public Options.TransparencyLogOptions TransparencyLog => new(this);

    /// <summary>Fetching the signed announcements (docs/announcements.md) and what a fetch may carry. The group's members forward to the flat properties (<see cref="Options.AnnouncementFetchOptions"/>).</summary>
    public Options.AnnouncementFetchOptions AnnouncementFetches => new(this);

    /// <summary>Tests only: off, a period already sealed for upload still takes what is recorded for it, to show
    /// that the test of one report per device and period catches a second report (the positive control).</summary>
    internal bool GuardSealedPeriods { get; set; } = true;

    /// <summary>Whether uploads are split per report, after the default of <see cref="SplitUploads"/>.</summary>
    internal bool EffectiveSplitUploads => SplitUploads ?? (Ohttp is not null || (HttpMessageHandler is null && Transport == Candor.Client.Transport.TransportMode.TorRequired));
}
