using Candor.Client.Announcements;
using Candor.Client.Consent;
using Candor.Client.LocalStore;
using Candor.Client.Outbox;
using Candor.Client.Recording;
using Candor.Client.Reporting;
using Candor.Client.Scheduling;
using Candor.Client.Transport;
using Candor.Client.Upload;
using Candor.Registry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Candor.Client;

/// <summary>
/// The client library's front door: consent, typed recording handles, the user's view of local data, the
/// upload cycle and announcements. One instance per application and data directory. Thread-safe, and
/// safe to call from a UI thread: no call waits for the network, and every call that touches the disk
/// has an <c>...Async</c> form that runs it off the caller's thread.
/// </summary>
/// <remarks>
/// A facade over parts that can be read one at a time: <see cref="ConsentController"/> and
/// <see cref="ConsentGate"/> (consent), <see cref="Recorder"/> and <see cref="RecordingFlusher"/>
/// (recording), <see cref="UploadWorker"/> with the outbox (uploads), <see cref="AnnouncementService"/>
/// (announcements), <see cref="UserView"/> (the user's view) and <see cref="BackgroundSchedule"/> (timers).
/// </remarks>
public sealed class CandorClient : IDisposable, IAsyncDisposable
{
    /// <summary>How long disposal waits for a request in flight after cancelling it.</summary>
    internal static readonly TimeSpan StopBound = TimeSpan.FromSeconds(5);

    private const string NoiseSecretKey = "noise_secret";

    private readonly ClientContext _context;
    private readonly ConsentGate _gate;
    private readonly ConsentController _consent;
    private readonly RecordingFlusher _flusher;
    private readonly MeterBridge _bridge;
    private readonly ClientTransport? _transport;
    private Tokens.PrivateTokenHandler? _tokens;

    /// <summary>The token handler when <see cref="CandorClientOptions.PrivateTokens"/> is on (tests refill through it).</summary>
    internal Tokens.PrivateTokenHandler? TokenHandler => _tokens;
    private readonly UploadWorker _worker;
    private readonly AnnouncementService _announcements;
    private readonly Transparency.TransparencyService _log;
    private readonly UserView _view;
    private readonly BackgroundSchedule _schedule;
    private int _disposed;

    private CandorClient(CandorClientOptions options, MetricRegistry registry, ILogger logger)
    {
        _context = new ClientContext(options, registry, logger);
        _gate = new ConsentGate(_context);
        _flusher = new RecordingFlusher(_context, _gate);
        _consent = new ConsentController(_context, _gate, _flusher);
        // Replaced gateway and token keys, kept in the local store so a restart does not forget them.
        var keyHistory = new KeyHistory(_context.Store, _context.Fault);
        if (options.CollectorUrl is { } url)
            _transport = new ClientTransport(options, url, message => _context.Log(message, LogLevel.Warning),
                options.PrivateTokens ? (inner, network, baseUrl) => _tokens = Tokens.PrivateTokenClient.Attach(inner, network, _context.Store.Path, baseUrl, registry.App, options, () => _gate.IsGranted,
                    (message, warning) => _context.Log(message, warning ? LogLevel.Warning : LogLevel.Information), keyHistory) : null,
                () => AnnouncedGatewayKeys.Read(_context.Store), keyHistory);
        _worker = new UploadWorker(_context, _gate, _flusher, Builder, _transport);
        _announcements = new AnnouncementService(_context, _gate, _worker, _transport);
        _log = new Transparency.TransparencyService(_context, _gate, _transport);
        _view = new UserView(_context, _gate, _flusher, _worker, Builder);
        _schedule = new BackgroundSchedule(_context, Flush, UploadAsync, FetchAnnouncementsIfDueAsync, _worker.Stopping,
            options.EffectiveSplitUploads ? () => _worker.NextAttempt : null, LogStepAsync);
        lock (_context.Local)
        {
            // Erasures a full disk refused before the app last exited: owed again, before anything is recorded or sent.
            if (_gate.RestoredErasures.HasFlag(OwedErasure.Everything))
                _view.Erase();
            if (_gate.RestoredErasures.HasFlag(OwedErasure.SwitchedOff))
                _consent.RemoveWhatIsNoLongerAllowed();
            _gate.EraseIfNotGranted();
            _gate.KeepOwed();
        }
        _gate.Withdrawn += _flusher.ForgetUnsaved;
        _bridge = new MeterBridge(_context.Recorder);
    }

    /// <summary>
    /// Opens (or creates) the client's data directory and, when <see cref="CandorClientOptions.BackgroundWork"/>
    /// is on, starts its timers. Throws <see cref="ArgumentException"/> for bad options and
    /// <see cref="RegistryException"/> for a bad registry.
    /// </summary>
    public static CandorClient Create(CandorClientOptions options) => Create(options, null);

    /// <inheritdoc cref="Create(CandorClientOptions)"/>
    /// <param name="options">The client's options.</param>
    /// <param name="logger">Where the client reports what the user's local log also says (never a recorded value). Null: nowhere.</param>
    public static CandorClient Create(CandorClientOptions options, ILogger? logger)
    {
        var client = CreateStopped(options, logger);
        if (options.BackgroundWork)
            client.StartBackgroundWork();
        return client;
    }

    /// <summary>
    /// <see cref="Create(CandorClientOptions, ILogger?)"/> off the caller's thread: opening the local store
    /// (and checking it, or setting a damaged one aside) is disk work a UI thread should not wait for.
    /// </summary>
    public static Task<CandorClient> CreateAsync(CandorClientOptions options, ILogger? logger = null, CancellationToken cancel = default) =>
        Task.Run(() => Create(options, logger), cancel);

    /// <summary>For a host: the timers start with the host (<see cref="Microsoft.Extensions.DependencyInjection.CandorServiceCollectionExtensions"/>).</summary>
    internal static CandorClient CreateStopped(CandorClientOptions options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (CandorClientOptionsValidator.Problems(options).FirstOrDefault() is { } problem)
            throw new ArgumentException(problem, nameof(options));
        var registry = options.Registry ?? RegistryParser.ParseFile(options.RegistryFile!);
        return new CandorClient(options, registry, logger ?? NullLogger.Instance);
    }

    internal void StartBackgroundWork()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _schedule.Start();
    }

    /// <summary>The registry this client records and reports by: every metric it may send, and why.</summary>
    public MetricRegistry Registry => _context.Registry;

    /// <summary>The consent in force and which rule decided it (see docs/client.md, Precedence).</summary>
    public EffectiveConsent Consent => _gate.Current;

    /// <summary>The user's own answers, as persisted.</summary>
    public ConsentRecord ConsentRecord => _gate.Record;

    /// <summary>
    /// True when the app should ask: the user has not answered, or agreed to an older registry and this one
    /// adds categories or metrics (which stay off until asked). Never true when a policy or the environment has decided.
    /// </summary>
    public bool NeedsConsentPrompt => _view.NeedsConsentPrompt;

    /// <summary>The text to show with an explicit yes and no (neither preselected), generated from the registry.</summary>
    public string ConsentPromptText(string appName) =>
        ConsentPrompt.Text(Registry, appName, _gate.IsGranted ? _gate.Record : null);

    // ---- Recording: no lock, no allocation, no I/O ----

    /// <summary>
    /// The handle of a <c>counter</c> metric, cached: calling this in a loop costs one dictionary lookup. The
    /// typed <c>Metrics.*</c> properties generated from the registry are the compile-time checked way to get it.
    /// </summary>
    /// <remarks>
    /// A name the registry does not list, or a metric of another type, gives an inert handle that records nothing;
    /// with <see cref="CandorClientOptions.ThrowOnMisuse"/> (for development) it throws <see cref="ArgumentException"/> instead.
    /// </remarks>
    public CounterHandle Counter(string name) => _context.Recorder.Handle(name, MetricType.Counter, s => new CounterHandle(s));
    /// <summary>The handle of a <c>flag</c> metric.</summary>
    /// <inheritdoc cref="Counter(string)" path="/remarks"/>
    public FlagHandle Flag(string name) => _context.Recorder.Handle(name, MetricType.Flag, s => new FlagHandle(s));
    /// <summary>The handle of an <c>enum</c> metric.</summary>
    /// <inheritdoc cref="Counter(string)" path="/remarks"/>
    public EnumHandle Enum(string name) => _context.Recorder.Handle(name, MetricType.Enum, s => new EnumHandle(s, _context.Options.ThrowOnMisuse));
    /// <summary>The handle of a <c>quantity</c> metric.</summary>
    /// <inheritdoc cref="Counter(string)" path="/remarks"/>
    public QuantityHandle Quantity(string name) => _context.Recorder.Handle(name, MetricType.Quantity, s => new QuantityHandle(s));
    /// <summary>The handle of a <c>histogram</c> metric.</summary>
    /// <inheritdoc cref="Counter(string)" path="/remarks"/>
    public HistogramHandle Histogram(string name) => _context.Recorder.Handle(name, MetricType.Histogram, s => new HistogramHandle(s));

    // ---- Consent: local work only; a "no" also stops an upload in flight ----

    /// <summary>The user said yes to everything in this registry version (categories they switched off stay off).</summary>
    public void GrantConsent() => _consent.Grant();

    /// <summary>The user said no: collection stops at once and everything not yet sent is erased (privacy invariant 2).</summary>
    public void DenyConsent() => _consent.Deny();

    /// <summary>Forget the answer: back to unset (nothing recorded), and unsent data is erased as for a no.</summary>
    public void ResetConsent() => _consent.Reset();

    /// <summary>The user switched a category off: its metrics stop recording at once, and their unsent data is erased.</summary>
    /// <exception cref="ArgumentException">The registry has no such category.</exception>
    public void DisableCategory(string name) => _consent.Switch(name, category: true, enable: false);
    /// <summary>The user switched a category back on (it records again from now; nothing earlier is recovered).</summary>
    public void EnableCategory(string name) => _consent.Switch(name, category: true, enable: true);
    /// <summary>The user switched one metric off: it stops recording at once, and its unsent data is erased.</summary>
    /// <exception cref="ArgumentException">The registry has no such metric.</exception>
    public void DisableMetric(string name) => _consent.Switch(name, category: false, enable: false);
    /// <summary>The user switched one metric back on.</summary>
    public void EnableMetric(string name) => _consent.Switch(name, category: false, enable: true);

    /// <inheritdoc cref="GrantConsent"/>
    public Task GrantConsentAsync(CancellationToken cancel = default) => OffThread(GrantConsent, cancel);
    /// <inheritdoc cref="DenyConsent"/>
    public Task DenyConsentAsync(CancellationToken cancel = default) => OffThread(DenyConsent, cancel);
    /// <inheritdoc cref="ResetConsent"/>
    public Task ResetConsentAsync(CancellationToken cancel = default) => OffThread(ResetConsent, cancel);
    /// <inheritdoc cref="DisableCategory"/>
    public Task DisableCategoryAsync(string name, CancellationToken cancel = default) => OffThread(() => DisableCategory(name), cancel);
    /// <inheritdoc cref="EnableCategory"/>
    public Task EnableCategoryAsync(string name, CancellationToken cancel = default) => OffThread(() => EnableCategory(name), cancel);
    /// <inheritdoc cref="DisableMetric"/>
    public Task DisableMetricAsync(string name, CancellationToken cancel = default) => OffThread(() => DisableMetric(name), cancel);
    /// <inheritdoc cref="EnableMetric"/>
    public Task EnableMetricAsync(string name, CancellationToken cancel = default) => OffThread(() => EnableMetric(name), cancel);

    // ---- Local store ----

    /// <summary>Writes what was recorded in memory to the local store (done periodically and on dispose).</summary>
    public void Flush()
    {
        lock (_context.Local)
            _flusher.Flush();
    }

    /// <inheritdoc cref="Flush"/>
    public Task FlushAsync(CancellationToken cancel = default) => OffThread(Flush, cancel);

    private ReportBuilder Builder()
    {
        var store = _context.Store;
        byte[]? secret = null;
        try { secret = store.GetState(NoiseSecretKey) is { } text ? Convert.FromBase64String(text) : null; }
        catch (FormatException) { /* damaged: a new one is drawn below */ }
        if (secret is not { Length: 32 })
        {
            // Local only, never sent; erasing the local data forgets it too.
            secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            store.SetState(NoiseSecretKey, Convert.ToBase64String(secret));
        }
        var nonces = _context.Options.ReportCommitments ? Transparency.CommitmentNonces.Load(store) : null;
        return new(Registry, _gate.Allowed, _context.Options.RetentionDays, (metric, period) => RandomizedResponse.For(secret, metric, period), nonces is null ? null : nonces.For)
        {
            NextNonceGeneration = nonces?.Generation + 1,
        };
    }

    // ---- Upload ----

    /// <summary>
    /// One upload cycle: if an upload is due, seal the closed periods into batches and send every pending
    /// batch, oldest first, stopping at the first retryable failure. The background schedule calls this; so
    /// can an app or a test. No lock is held while a request is on the wire.
    /// </summary>
    /// <remarks>Never throws for a full disk: the cycle answers "local store unavailable" and the next one tries again.</remarks>
    public async Task<UploadCycle> UploadAsync(CancellationToken cancel = default)
    {
        try
        {
            return await _worker.RunAsync(cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (LocalStore.StorageFault.IsStorageError(e))
        {
            _context.Fault.Failed("an upload", e);
            return new UploadCycle(UploadWorker.LocalStoreUnavailable, 0, 0, 0, null);
        }
    }

    /// <summary>
    /// Where this installation stands among all for <paramref name="metric"/>: this period's local value
    /// against the collector's public figures, worked out on the device (<see cref="Comparison.Standing"/>).
    /// Fetches public figures over the configured transport; sends nothing about this installation.
    /// </summary>
    /// <remarks>A local store that cannot be read (a full disk kept it from being created) answers <see cref="Comparison.Standing.LocalStoreUnavailable"/> and fetches nothing.</remarks>
    public async Task<Comparison.Standing> CompareAsync(string metric, CancellationToken cancel = default)
    {
        var def = Registry.FindMetric(metric)
            ?? throw new ArgumentException($"Unknown metric '{metric}'; see 'status' or the registry for the metrics.", nameof(metric));
        if (_transport is null)
            throw new InvalidOperationException("No collector is configured (CollectorUrl): there are no public figures to compare with.");
        RequireConsent("comparing with the public figures");
        // The same view as Show(): flushed, read under the local lock, off the caller's thread.
        List<LocalStore.Observation>? Read()
        {
            lock (_context.Local)
            {
                _flusher.Flush();
                return _context.Store.Observations();
            }
        }
        var observations = await Task.Run(() => Quietly("reading the value to compare", Read, null), cancel).ConfigureAwait(false);
        if (observations is null)
            return new Comparison.Standing(def.Name, "Nothing was compared: this installation's value cannot be read from the local store.", null, null, null)
                { LocalStoreUnavailable = true };
        return await Comparison.StandingComparer.CompareAsync(def, observations, _transport, Registry.App, _context.Today, cancel).ConfigureAwait(false);
    }

    // ---- Announcements (message of the day) ----

    /// <summary>
    /// Fetches and verifies the signed announcements; returns the news for this platform and version, or
    /// null when the consent gate lets no fetch leave the device (no "yes", a machine policy,
    /// <c>DO_NOT_TRACK</c>, or <c>motd.fetch</c> switched off). The fetch carries only the parameters of
    /// docs/announcements.md that the registry declares and the user allows, as allowlisted values, and
    /// <c>reportback_next</c> becomes the next upload time within the client's bounds and jitter.
    /// Throws <see cref="Candor.Announcements.AnnouncementRejectedException"/> for a document it must not believe.
    /// </summary>
    /// <remarks>A full disk gives null (nothing accepted) rather than an exception; the fault is logged once per episode.</remarks>
    public Task<AnnouncementsResult?> FetchAnnouncementsAsync(CancellationToken cancel = default) =>
        QuietlyAsync("remembering the announcements", () => _announcements.FetchAsync(cancel), null);

    /// <summary>The last announcements this client accepted in this process (null before the first).</summary>
    public AnnouncementsResult? LatestAnnouncements => _announcements.Latest;

    /// <summary>Raised after a scheduled fetch accepted a document; the app shows <see cref="AnnouncementsResult.News"/>.</summary>
    public event Action<AnnouncementsResult>? AnnouncementsReceived
    {
        add => _announcements.Received += value;
        remove => _announcements.Received -= value;
    }

    /// <summary>
    /// The background step: fetches when keys are configured, consent allows it and the random time drawn
    /// after the last attempt has come. A rejected document goes to the local log and changes nothing.
    /// </summary>
    public Task<AnnouncementsResult?> FetchAnnouncementsIfDueAsync(CancellationToken cancel = default) =>
        QuietlyAsync("remembering the announcements", () => _announcements.FetchIfDueAsync(cancel), null);

    // ---- Transparency log: receipts, checks, deletion by receipt (docs/transparency.md) ----

    /// <summary>
    /// The receipts of reports this device committed to (nonce, commitment, the report as stored, when
    /// sent, proved or deleted). Local only; kept after consent is revoked, so sent reports can still be
    /// checked and deleted, and erased with everything else by <see cref="Erase"/>.
    /// </summary>
    public IReadOnlyList<Transparency.Receipt> Receipts() => Quietly("reading the receipts", _log.Receipts, []);

    /// <inheritdoc cref="Receipts"/>
    public Task<IReadOnlyList<Transparency.Receipt>> ReceiptsAsync(CancellationToken cancel = default) => OffThread(Receipts, cancel);

    /// <summary>
    /// Checks every sent report against the collector's log: fetches the checkpoint, checks it is signed by
    /// the log key (<see cref="CandorClientOptions.LogKey"/>, else the key trusted on first use) and extends
    /// the newest checkpoint this device saw before, then proves each receipt included, or says it is
    /// pending, missing or deleted. A log caught misbehaving gives <see cref="Transparency.LogVerification.Alarm"/>
    /// with evidence. The lookups go out together; <see cref="Transparency.LogVerification.Disclosure"/> says what that reveals.
    /// Like every call that reaches the network, it runs only with consent: otherwise it throws
    /// <see cref="ConsentRequiredException"/> and sends nothing (privacy invariant 10).
    /// </summary>
    /// <remarks>Never throws for a full disk: the answer says <see cref="Transparency.LogVerification.LocalStoreUnavailable"/>, logged once per episode.</remarks>
    public async Task<Transparency.LogVerification> VerifyReportsAsync(CancellationToken cancel = default)
    {
        RequireConsent("checking reports in the transparency log");
        return await _log.VerifyAsync(cancel).ConfigureAwait(false);
    }

    /// <summary>
    /// The background check: with consent, looks up the one receipt whose random check time came first
    /// (one receipt per request). The background schedule calls this; null when nothing was due.
    /// </summary>
    public Task<Transparency.ReceiptCheck?> VerifyNextReceiptIfDueAsync(CancellationToken cancel = default) =>
        QuietlyAsync("checking a receipt", () => _log.VerifyNextIfDueAsync(cancel), null);

    /// <summary>
    /// Deletion by receipt: reveals the nonces of <paramref name="receipts"/> (default: every sent receipt)
    /// to the collector, which removes those reports from its stored counts (not from figures already
    /// published) and records the deletion in its log. Returns each receipt's outcome; receipts deleted
    /// (or already deleted) are marked so on the device. Runs with consent, and after the user's own "no"
    /// (a withdrawal is when deletion is wanted); with consent unset, <c>DO_NOT_TRACK</c> or a machine policy
    /// it throws <see cref="ConsentRequiredException"/> and sends nothing.
    /// </summary>
    /// <remarks>Never throws for a full disk: the answer says <see cref="Transparency.ReceiptDeletions.LocalStoreUnavailable"/>, logged once per episode.</remarks>
    public async Task<Transparency.ReceiptDeletions> DeleteReportsAsync(IEnumerable<Transparency.Receipt>? receipts = null, CancellationToken cancel = default)
    {
        if (_transport is not null)
            lock (_context.Local)
                _gate.RequireForDeletion();
        return await _log.DeleteAsync(receipts, cancel).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletion by receipt as split uploads travel: schedules <paramref name="receipts"/> (default: every sent
    /// receipt not deleted yet) to leave one per request, each at its own random moment within
    /// <see cref="CandorClientOptions.DeletionWindow"/>, so neither the collector nor its public log can tell how
    /// many reports this device deleted or that they went together. The background schedule sends them
    /// (<see cref="DeleteNextReceiptIfDueAsync"/>); runs whatever the consent state. Returns how many were scheduled.
    /// </summary>
    /// <remarks>A full disk schedules nothing (0) rather than throwing; call again once the disk has room.</remarks>
    public int ScheduleReportDeletion(IEnumerable<Transparency.Receipt>? receipts = null) => Quietly("scheduling deletions", () => _log.ScheduleDeletions(receipts), 0);

    /// <summary>The background step for scheduled deletions: sends the one whose moment came first, alone; null when none was due.</summary>
    public Task<Transparency.ReceiptDeletion?> DeleteNextReceiptIfDueAsync(CancellationToken cancel = default) =>
        QuietlyAsync("sending a scheduled deletion", () => _log.DeleteNextIfDueAsync(cancel), null);

    /// <summary>One request per tick of the log timer: a due deletion goes first, else one receipt is checked.</summary>
    private async Task LogStepAsync(CancellationToken cancel)
    {
        if (await DeleteNextReceiptIfDueAsync(cancel).ConfigureAwait(false) is null)
            await VerifyNextReceiptIfDueAsync(cancel).ConfigureAwait(false);
    }

    /// <summary>
    /// Compares a checkpoint seen elsewhere (another device, a mirror, a witness: the signed note text)
    /// with the newest one this device verified; a fork comes back with both notes as evidence.
    /// </summary>
    /// <remarks>Fetches the collector's checkpoint, so it runs only with consent (<see cref="ConsentRequiredException"/>).
    /// Never throws for a full disk: the answer says <see cref="Transparency.CheckpointComparison.LocalStoreUnavailable"/>.</remarks>
    public async Task<Transparency.CheckpointComparison> CompareCheckpointAsync(string signedCheckpoint, CancellationToken cancel = default)
    {
        RequireConsent("comparing checkpoints with the collector's");
        return await _log.CompareAsync(signedCheckpoint, cancel).ConfigureAwait(false);
    }

    // ---- Privacy Pass tokens (docs/client.md, "Anonymous tokens") ----

    /// <summary>
    /// Tops the token wallet up now (<see cref="CandorClientOptions.PrivateTokens"/>): the collector's
    /// challenge through the usual transport, then blinded requests to the issuer from this device's own
    /// address (or Tor exit). With <see cref="CandorClientOptions.BackgroundWork"/> on, refills already run
    /// at random moments of their own; an app that runs the client without background work calls this,
    /// at times unrelated to its uploads (a refill right before an upload would tell the issuer when this
    /// address uploads). Returns the tokens added (0 when the wallet is full or the collector asks for none).
    /// Throws <see cref="ConsentRequiredException"/> without consent, <see cref="InvalidOperationException"/>
    /// when tokens are off or no collector is configured, and <see cref="HttpRequestException"/> when the
    /// collector or issuer cannot be reached; a failure is also written to the log, once per run of failures.
    /// </summary>
    public async Task<int> RefillTokensAsync(CancellationToken cancel = default)
    {
        if (_tokens is null)
            throw new InvalidOperationException(_transport is null
                ? "No collector is configured (CollectorUrl): there is no token issuer to ask."
                : "Privacy Pass tokens are off (PrivateTokens): there is no wallet to fill.");
        RequireConsent("fetching Privacy Pass tokens");
        // A full disk: the tokens could not be kept anyway; none were added, and the next refill tries again.
        return await QuietlyAsync("storing Privacy Pass tokens", () => _tokens.RefillAsync(cancel), 0).ConfigureAwait(false);
    }

    /// <summary>
    /// A call that needs the local store answers "nothing" on a storage fault (a full disk) instead of
    /// throwing into the app; the fault is logged once per episode and the next call tries again.
    /// </summary>
    private T Quietly<T>(string what, Func<T> work, T nothing)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (LocalStore.StorageFault.IsStorageError(e))
        {
            _context.Fault.Failed(what, e);
            return nothing;
        }
    }

    /// <inheritdoc cref="Quietly"/>
    private async Task<T> QuietlyAsync<T>(string what, Func<Task<T>> work, T nothing)
    {
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (Exception e) when (LocalStore.StorageFault.IsStorageError(e))
        {
            _context.Fault.Failed(what, e);
            return nothing;
        }
    }

    /// <summary>The consent gate of the calls an app makes that reach the network; a client without a collector sends nothing anyway.</summary>
    private void RequireConsent(string what)
    {
        if (_transport is null)
            return;
        lock (_context.Local)
            _gate.RequireForNetwork(what);
    }

    // ---- The user's view (privacy invariant 7) ----

    /// <summary>What the client holds and does right now: consent, categories and metrics switched off, entries kept, batches waiting, the next upload and failures in a row.</summary>
    public ClientStatus Status() => _view.Status();

    /// <inheritdoc cref="Status"/>
    public Task<ClientStatus> StatusAsync(CancellationToken cancel = default) => OffThread(Status, cancel);

    /// <summary>What was collected and not yet sent, in words from the registry.</summary>
    public IReadOnlyList<CollectedItem> Show() => _view.Show();

    /// <inheritdoc cref="Show"/>
    public Task<IReadOnlyList<CollectedItem>> ShowAsync(CancellationToken cancel = default) => OffThread(Show, cancel);

    /// <summary>
    /// The exact JSON of the next upload: the oldest pending batch, or else the batch the closed periods
    /// would be sealed into now. Null when nothing would be sent.
    /// </summary>
    public string? Preview() => _view.Preview();

    /// <inheritdoc cref="Preview"/>
    public Task<string?> PreviewAsync(CancellationToken cancel = default) => OffThread(Preview, cancel);

    /// <summary>The batches sealed and waiting for the collector, oldest first.</summary>
    public IReadOnlyList<OutboxBatch> Pending() => _view.Pending();

    /// <inheritdoc cref="Pending"/>
    public Task<IReadOnlyList<OutboxBatch>> PendingAsync(CancellationToken cancel = default) => OffThread(Pending, cancel);

    /// <summary>The bounded history of batches the collector accepted (newest last).</summary>
    public IReadOnlyList<SentBatch> Sent() => _view.Sent();

    /// <inheritdoc cref="Sent"/>
    public Task<IReadOnlyList<SentBatch>> SentAsync(CancellationToken cancel = default) => OffThread(Sent, cancel);

    /// <summary>The local log: consent changes, drops and refusals, with reasons.</summary>
    public IReadOnlyList<LogEntry> Log() => _view.Log();

    /// <inheritdoc cref="Log"/>
    public Task<IReadOnlyList<LogEntry>> LogAsync(CancellationToken cancel = default) => OffThread(Log, cancel);

    /// <summary>Everything held locally (collected, pending, sent) as JSON or CSV.</summary>
    public string Export(ExportFormat format) => _view.Export(format);

    /// <inheritdoc cref="Export"/>
    public Task<string> ExportAsync(ExportFormat format, CancellationToken cancel = default) => OffThread(() => Export(format), cancel);

    /// <summary>Erases everything collected, pending or sent. Consent is kept: erasing is not an answer.</summary>
    public void Erase() => _view.Erase();

    /// <inheritdoc cref="Erase"/>
    public Task EraseAsync(CancellationToken cancel = default) => OffThread(Erase, cancel);

    /// <summary>
    /// Disk work runs on the thread pool: the SQLite provider has no real asynchronous I/O, so an "async"
    /// call on the caller's thread would still block a UI thread for the length of the write.
    /// </summary>
    private static Task OffThread(Action work, CancellationToken cancel) => Task.Run(work, cancel);

    private static Task<T> OffThread<T>(Func<T> work, CancellationToken cancel) => Task.Run(work, cancel);

    /// <summary>Stops the timers, cancels a request in flight (waiting at most a few seconds for it), flushes, and closes the transport.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        // Every await below the client uses ConfigureAwait(false), so waiting here cannot deadlock a UI thread.
        StopAsync().GetAwaiter().GetResult();
        Finish();
    }

    /// <inheritdoc cref="Dispose"/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await StopAsync().ConfigureAwait(false);
        Finish();
    }

    /// <summary>For the host's shutdown: the timers stop and a request in flight is cancelled, within <see cref="StopBound"/>.</summary>
    internal async Task StopAsync()
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        await _worker.StopAsync(StopBound).ConfigureAwait(false);
        var left = StopBound - deadline.Elapsed;
        await _schedule.StopAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero).ConfigureAwait(false);
    }

    private void Finish()
    {
        _bridge.Dispose();
        try { Flush(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException) { }
        _tokens?.StopRefills();
        _transport?.Dispose();
    }
}
