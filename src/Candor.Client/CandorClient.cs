using Candor.Client.Announcements;
using Candor.Client.Consent;
using Candor.Client.LocalStore;
using Candor.Client.Outbox;
using Candor.Client.Recording;
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
/// (announcements), <see cref="UserData.UserView"/> (the user's view) and <see cref="BackgroundSchedule"/> (timers).
/// </remarks>
public sealed partial class CandorClient : IDisposable, IAsyncDisposable
{
    /// <summary>How long disposal waits for a request in flight after cancelling it.</summary>
    internal static readonly TimeSpan StopBound = TimeSpan.FromSeconds(5);

    // The parts, composed once by the constructor (CandorClient.Composition.cs); none of them holds the facade.
    private readonly CandorClientOptions _options;
    private readonly MetricRegistry _registry;
    private readonly Recorder _recorder;
    private readonly ClientStore _store;
    private readonly StorageFault _fault;
    private readonly TimeProvider _time;

    /// <summary>
    /// Serialises changes to consent, observations and the outbox, so a "no" and a sealing upload never
    /// interleave. Held for the length of local SQLite work only (milliseconds), never across a network
    /// request or an await: an app's UI thread that takes it is never made to wait for a slow collector.
    /// Every part that changes local state is given this one lock.
    /// </summary>
    private readonly Lock _local = new();
    private readonly ConsentGate _gate;
    private readonly ConsentController _consent;
    private readonly RecordingFlusher _flusher;
    private readonly MeterBridge _bridge;
    private readonly ClientTransport? _transport;
    private readonly Tokens.PrivateTokenHandler? _tokens;

    /// <summary>The token handler when <see cref="CandorClientOptions.PrivateTokens"/> is on (tests refill through it).</summary>
    internal Tokens.PrivateTokenHandler? TokenHandler => _tokens;
    private readonly UploadWorker _worker;
    private readonly AnnouncementService _announcements;
    private readonly Transparency.TransparencyService _log;
    private readonly Transparency.ReceiptDeleter _deletions;
    private readonly UserData.UserView _view;
    private readonly UserData.UploadPreview _preview;
    private readonly UserData.LocalErasure _erasure;
    private readonly BackgroundSteps _steps;
    private readonly BackgroundSchedule _schedule;
    private int _disposed;

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
    public MetricRegistry Registry => _registry;

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
    public CounterHandle Counter(string name) => _recorder.Handle(name, MetricType.Counter, s => new CounterHandle(s));
    /// <summary>The handle of a <c>flag</c> metric.</summary>
    /// <inheritdoc cref="Counter(string)" path="/remarks"/>
    public FlagHandle Flag(string name) => _recorder.Handle(name, MetricType.Flag, s => new FlagHandle(s));
    /// <summary>The handle of an <c>enum</c> metric.</summary>
    /// <inheritdoc cref="Counter(string)" path="/remarks"/>
    public EnumHandle Enum(string name) => _recorder.Handle(name, MetricType.Enum, s => new EnumHandle(s, _options.ThrowOnMisuse));
    /// <summary>The handle of a <c>quantity</c> metric.</summary>
    /// <inheritdoc cref="Counter(string)" path="/remarks"/>
    public QuantityHandle Quantity(string name) => _recorder.Handle(name, MetricType.Quantity, s => new QuantityHandle(s));
    /// <summary>The handle of a <c>histogram</c> metric.</summary>
    /// <inheritdoc cref="Counter(string)" path="/remarks"/>
    public HistogramHandle Histogram(string name) => _recorder.Handle(name, MetricType.Histogram, s => new HistogramHandle(s));

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
    public void Flush() => _steps.Flush();

    /// <inheritdoc cref="Flush"/>
    public Task FlushAsync(CancellationToken cancel = default) => OffThread(Flush, cancel);

    // ---- Upload ----

    /// <summary>
    /// One upload cycle: if an upload is due, seal the closed periods into batches and send every pending
    /// batch, oldest first, stopping at the first retryable failure. The background schedule calls this; so
    /// can an app or a test. No lock is held while a request is on the wire.
    /// </summary>
    /// <remarks>Never throws for a full disk: the cycle answers "local store unavailable" and the next one tries again.</remarks>
    public Task<UploadCycle> UploadAsync(CancellationToken cancel = default) => _steps.UploadAsync(cancel);

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
