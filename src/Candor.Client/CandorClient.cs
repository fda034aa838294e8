using System.Globalization;
using System.Text;
using System.Text.Json;
using Candor.Client.Consent;
using Candor.Client.LocalStore;
using Candor.Client.Outbox;
using Candor.Client.Recording;
using Candor.Client.Reporting;
using Candor.Client.Upload;
using Candor.Registry;

namespace Candor.Client;

/// <summary>
/// The client library's front door: consent, typed recording handles, the user's view of local data and
/// the upload cycle. One instance per application and data directory. Thread-safe.
/// </summary>
public sealed class CandorClient : IDisposable, IAsyncDisposable
{
    private const string NoiseSecretKey = "noise_secret";

    private readonly CandorClientOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<string, string?> _environment;
    private readonly string _policyPath;
    private readonly Recorder _recorder;
    private readonly ClientStore _store;
    private readonly PendingOutbox _outbox;
    private readonly MeterBridge _bridge;
    private readonly HttpClient? _http;
    private readonly Uri? _announcementsBase;
    private readonly Uploader? _uploader;
    private readonly UploadCycleRunner _cycle;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ITimer? _flushTimer, _uploadTimer;
    private ConsentRecord _record;
    private string? _consentText;
    private EffectiveConsent _consent;
    private int _disposed;
    private DateOnly _lastFlushDay;
    private DateOnly? _activeDay;

    private CandorClient(CandorClientOptions options, MetricRegistry registry)
    {
        _options = options;
        Registry = registry;
        _time = options.TimeProvider;
        _environment = options.Environment ?? Environment.GetEnvironmentVariable;
        _policyPath = MachinePolicy.ResolvePath(options.PolicyFile, _environment);
        _recorder = new Recorder(registry, options.ThrowOnMisuse);
        _lastFlushDay = Today;
        _store = new ClientStore(options.DataDirectory, options.MaxHistoryEntries);
        if (_store.SetAsideNote is { } note)
            _store.Log(options.TimeProvider.GetUtcNow(), note);
        _outbox = new PendingOutbox(_store, options.MaxOutboxBatches, options.RetentionDays);
        _cycle = new UploadCycleRunner(_store, _outbox, options);
        _consentText = ConsentRecord.ReadText(options.DataDirectory);
        _record = ConsentRecord.Parse(_consentText);
        _consent = ConsentResolver.Resolve(_record, _policyPath, _environment);
        ApplyConsent();
        // A policy installed since the last run, or a damaged consent file, must not leave collected data behind.
        if (!_consent.IsGranted)
        {
            _store.EraseUnsent();
            _cycle.Reset();
        }
        _bridge = new MeterBridge(_recorder);
        if (options.CollectorUrl is { } url)
        {
            var baseUrl = url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
            var (handler, ownsHandler) = Transport.TransportFactory.Create(options, _time, message => _store.Log(_time.GetUtcNow(), message));
            _http = new HttpClient(handler, disposeHandler: ownsHandler)
            {
                Timeout = TimeSpan.FromSeconds(60),
            };
            _uploader = new Uploader(_http, baseUrl, registry.App);
            _announcementsBase = baseUrl;
        }
        if (options.BackgroundWork)
        {
            _flushTimer = _time.CreateTimer(_ => SafeBackground(() => { Flush(); return Task.CompletedTask; }), null, options.FlushInterval, options.FlushInterval);
            _uploadTimer = _time.CreateTimer(_ => SafeBackground(async () =>
            {
                try { await FetchAnnouncementsIfDueAsync(); }
                finally { await UploadAsync(); } // a bad announcement never stops uploads
            }), null, TimeSpan.FromSeconds(30), options.UploadCheckInterval);
        }
    }

    /// <summary>Opens (or creates) the client's data directory. Throws <see cref="ArgumentException"/> for bad options and <see cref="RegistryException"/> for a bad registry.</summary>
    public static CandorClient Create(CandorClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
            throw new ArgumentException("CandorClientOptions.DataDirectory is required: the folder for consent and local data.", nameof(options));
        if (options.FirstUploadDelayMin < TimeSpan.Zero || options.FirstUploadDelayMax < options.FirstUploadDelayMin)
            throw new ArgumentException("FirstUploadDelayMin must be 0 or more and at most FirstUploadDelayMax.", nameof(options));
        if (options.MaxOutboxBatches < 1)
            throw new ArgumentException("MaxOutboxBatches must be at least 1.", nameof(options));
        if (options.CollectorUrl is { } u && !(u.IsAbsoluteUri && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps)))
            throw new ArgumentException($"CollectorUrl must be an absolute http or https URL, not '{u}'.", nameof(options));
        var registry = options.Registry
            ?? (options.RegistryFile is { } file ? RegistryParser.ParseFile(file)
                : throw new ArgumentException("Either CandorClientOptions.Registry or RegistryFile is required.", nameof(options)));
        return new CandorClient(options, registry);
    }

    public MetricRegistry Registry { get; }

    /// <summary>The consent in force and which rule decided it (see docs/client.md, Precedence).</summary>
    public EffectiveConsent Consent => _consent;

    /// <summary>The user's own answers, as persisted.</summary>
    public ConsentRecord ConsentRecord => _record;

    /// <summary>
    /// True when the app should ask: the user has not answered, or agreed to an older registry and this one
    /// adds categories or metrics (which stay off until asked). Never true when a policy or the environment has decided.
    /// </summary>
    public bool NeedsConsentPrompt =>
        _consent.Source is ConsentSource.Default
        || (_consent is { Source: ConsentSource.User, IsGranted: true } && ConsentScope.NotYetAsked(_record, Registry) is { } n && (n.Categories.Length > 0 || n.Metrics.Length > 0));

    /// <summary>The text to show with an explicit yes and no (neither preselected), generated from the registry.</summary>
    public string ConsentPromptText(string appName) =>
        ConsentPrompt.Text(Registry, appName, _consent.IsGranted ? _record : null);

    // ---- Recording ----

    public CounterHandle Counter(string name) => _recorder.Handle(name, MetricType.Counter, s => new CounterHandle(s));
    public FlagHandle Flag(string name) => _recorder.Handle(name, MetricType.Flag, s => new FlagHandle(s));
    public EnumHandle Enum(string name) => _recorder.Handle(name, MetricType.Enum, s => new EnumHandle(s, _options.ThrowOnMisuse));
    public QuantityHandle Quantity(string name) => _recorder.Handle(name, MetricType.Quantity, s => new QuantityHandle(s));
    public HistogramHandle Histogram(string name) => _recorder.Handle(name, MetricType.Histogram, s => new HistogramHandle(s));

    // ---- Consent ----

    /// <summary>The user said yes to everything in this registry version (categories they switched off stay off).</summary>
    public void GrantConsent() => ChangeConsent(r => r with
    {
        State = ConsentState.Granted,
        RegistryVersion = Registry.Version,
        KnownCategories = r.KnownCategories.Union(Registry.Categories.Select(c => c.Name)).ToArray(),
        KnownMetrics = r.KnownMetrics.Union(Registry.Metrics.Select(m => m.Name)).ToArray(),
    }, "The user agreed to collection (registry version " + Registry.Version + ").");

    /// <summary>The user said no: collection stops at once and everything not yet sent is erased (privacy invariant 2).</summary>
    public void DenyConsent() => ChangeConsent(r => r with { State = ConsentState.Denied }, "The user declined; all unsent data was erased.");

    /// <summary>Forget the answer: back to unset (nothing recorded), and unsent data is erased as for a no.</summary>
    public void ResetConsent() => ChangeConsent(r => r with { State = ConsentState.Unset }, "The user's answer was reset; all unsent data was erased.");

    public void DisableCategory(string name) => ChangeSwitch(RequireCategory(name), category: true, enable: false);
    public void EnableCategory(string name) => ChangeSwitch(RequireCategory(name), category: true, enable: true);
    public void DisableMetric(string name) => ChangeSwitch(RequireMetric(name), category: false, enable: false);
    public void EnableMetric(string name) => ChangeSwitch(RequireMetric(name), category: false, enable: true);

    private string RequireCategory(string name) => Registry.FindCategory(name)?.Name
        ?? throw new ArgumentException($"Unknown category '{name}'; the categories are: {string.Join(", ", Registry.Categories.Select(c => c.Name))}.", nameof(name));

    private string RequireMetric(string name) => Registry.FindMetric(name)?.Name
        ?? throw new ArgumentException($"Unknown metric '{name}'; see 'status' or the registry for the metrics.", nameof(name));

    private void ChangeConsent(Func<ConsentRecord, ConsentRecord> change, string logLine)
    {
        // A "no" stops recording before waiting for an upload in flight to finish, not after.
        if (change(_record).State != ConsentState.Granted)
            foreach (var s in _recorder.All)
                s.Enabled = false;
        _gate.Wait();
        try
        {
            _record = change(_record);
            _record.Save(_options.DataDirectory);
            _consent = ConsentResolver.Resolve(_record, _policyPath, _environment);
            ApplyConsent();
            _activeDay = null;
            if (!_consent.IsGranted)
            {
                _recorder.Drain(Today); // discarded: recorded in the instant before the switch
                _store.EraseUnsent();
                _cycle.Reset();
            }
            _store.Log(_time.GetUtcNow(), logLine);
        }
        finally { _gate.Release(); }
    }

    private void ChangeSwitch(string name, bool category, bool enable)
    {
        _gate.Wait();
        try
        {
            FlushCore();
            _record = (category, enable) switch
            {
                (true, false) => _record with { DisabledCategories = _record.DisabledCategories.Union([name]).ToArray() },
                (false, false) => _record with { DisabledMetrics = _record.DisabledMetrics.Union([name]).ToArray() },
                // Switching on by hand is the user's explicit yes for it, also when it is new since they answered.
                (true, true) => _record with
                {
                    DisabledCategories = _record.DisabledCategories.Where(c => c != name).ToArray(),
                    KnownCategories = _record.KnownCategories.Union([name]).ToArray(),
                    KnownMetrics = _record.KnownMetrics.Union(Registry.Metrics.Where(m => m.Category == name).Select(m => m.Name)).ToArray(),
                },
                (false, true) => _record with
                {
                    DisabledMetrics = _record.DisabledMetrics.Where(m => m != name).ToArray(),
                    KnownMetrics = _record.KnownMetrics.Union([name]).ToArray(),
                },
            };
            _record.Save(_options.DataDirectory);
            ApplyConsent();
            if (!enable)
                RemoveWhatIsNoLongerAllowed();
            _store.Log(_time.GetUtcNow(), $"The user switched {(category ? "category" : "metric")} {name} {(enable ? "on" : "off")}.");
        }
        finally { _gate.Release(); }
    }

    private bool Allowed(MetricDefinition m) => ConsentScope.Covers(_consent, _record, m);

    private void ApplyConsent()
    {
        foreach (var s in _recorder.All)
            s.Enabled = Allowed(s.Definition);
    }

    /// <summary>A switched-off category or metric leaves nothing behind: its observations go, and pending batches are rewritten without it.</summary>
    private void RemoveWhatIsNoLongerAllowed()
    {
        _store.DeleteObservations(o => Registry.FindMetric(o.Metric) is not { } m || !Allowed(m));
        foreach (var batch in _outbox.Pending())
        {
            using var doc = JsonDocument.Parse(batch.Body);
            var reports = doc.RootElement.GetProperty("reports").EnumerateArray().ToList();
            var keep = reports.Where(r => Registry.FindMetric(r.GetProperty("metric").GetString()!) is { } m && Allowed(m)).ToList();
            if (keep.Count == reports.Count)
                continue;
            byte[]? body = null;
            if (keep.Count > 0)
            {
                using var ms = new MemoryStream();
                using (var w = new Utf8JsonWriter(ms))
                {
                    w.WriteStartObject();
                    w.WriteNumber("schema", doc.RootElement.GetProperty("schema").GetInt32());
                    w.WriteStartArray("reports");
                    foreach (var r in keep) r.WriteTo(w);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                body = ms.ToArray();
            }
            _outbox.Replace(batch.Id, body);
        }
    }

    // ---- Local store ----

    private DateOnly Today => DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);

    /// <summary>Writes what was recorded in memory to the local store (done periodically and on dispose).</summary>
    public void Flush()
    {
        _gate.Wait();
        try { FlushCore(); }
        finally { _gate.Release(); }
    }

    private void FlushCore()
    {
        RefreshConsent();
        // What is in memory was recorded since the last flush; it counts for the period that flush was in.
        // With the default one-minute interval, at most a minute's events cross a period boundary late.
        var deltas = _recorder.Drain(_lastFlushDay);
        var today = Today;
        if (today != _lastFlushDay)
            DiscardTooOld(today);
        _lastFlushDay = today;
        // A record racing a revocation may have reached a slot after it was switched off: never keep it.
        if (!_consent.IsGranted)
            return;
        if (_options.RecordActivity && _activeDay != today && Registry.FindMetric(MetricRegistry.ActiveMetricName) is { } active && Allowed(active))
        {
            deltas.Add(new Observation(active.Name, Candor.Protocol.PeriodKey.Day(today).ToString(), "", 1));
            // Weekly actives need their own flag: counting them from the daily ones would link the days.
            if (Registry.FindMetric(MetricRegistry.ActiveWeekMetricName) is { } week && Allowed(week))
                deltas.Add(new Observation(week.Name, Candor.Protocol.PeriodKey.WeekOf(today).ToString(), "", 1));
            _activeDay = today;
        }
        _store.Add(deltas.Where(d => Registry.FindMetric(d.Metric) is { } m && Allowed(m)).ToList(), Registry);
    }

    /// <summary>
    /// Another process (<c>candor client consent deny</c>, another instance of the app) or an administrator
    /// (the machine policy) may have changed the answer since it was read: look again before every flush
    /// and upload, so a "no" given elsewhere also stops collection and erases unsent data within a flush interval.
    /// </summary>
    private void RefreshConsent()
    {
        var text = ConsentRecord.ReadText(_options.DataDirectory);
        var record = text == _consentText ? _record : ConsentRecord.Parse(text);
        var consent = ConsentResolver.Resolve(record, _policyPath, _environment);
        if (text == _consentText && consent == _consent)
            return;
        bool wasGranted = _consent.IsGranted;
        _consentText = text;
        _record = record;
        _consent = consent;
        ApplyConsent();
        if (wasGranted && !consent.IsGranted)
        {
            _recorder.Drain(Today);
            _store.EraseUnsent();
            _cycle.Reset();
            _store.Log(_time.GetUtcNow(), $"Consent is no longer granted ({consent.Reason}); all unsent data was erased.");
        }
    }

    /// <summary>
    /// Bounds the local store when nothing is uploaded (no collector, or offline): periods the collector
    /// would refuse as too old are never going to leave, so they are not kept either.
    /// </summary>
    private void DiscardTooOld(DateOnly today)
    {
        bool TooOld(Observation o) => Candor.Protocol.PeriodKey.TryParse(o.Period, out var p) && ReportingWindow.TooOld(p.Value.End, today, _options.RetentionDays);
        var old = _store.Observations().Where(TooOld).ToList();
        if (old.Count == 0)
            return;
        _store.DeleteObservations(TooOld);
        _store.Log(_time.GetUtcNow(), $"Discarded {old.Count} collected entr{(old.Count == 1 ? "y" : "ies")} older than {_options.RetentionDays} days that were never sent.");
    }

    private ReportBuilder Builder()
    {
        var secret = _store.GetState(NoiseSecretKey) is { } text ? Convert.FromBase64String(text) : null;
        if (secret is null)
        {
            // Local only, never sent; erasing the local data forgets it too.
            secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            _store.SetState(NoiseSecretKey, Convert.ToBase64String(secret));
        }
        return new(Registry, Allowed, _options.RetentionDays, (metric, period) => RandomizedResponse.For(secret, metric, period));
    }

    // ---- Upload ----

    /// <summary>
    /// One upload cycle: if an upload is due, seal the closed periods into batches and send every pending
    /// batch, oldest first, stopping at the first retryable failure. The background timer calls this; so can tests.
    /// </summary>
    public async Task<UploadCycle> UploadAsync(CancellationToken cancel = default)
    {
        await _gate.WaitAsync(cancel);
        try
        {
            FlushCore();
            if (!_consent.IsGranted)
                return new UploadCycle("consent not granted", 0, 0, 0, null);
            if (_uploader is null)
                return new UploadCycle("no collector configured", 0, 0, _outbox.Pending().Count, null);
            return await _cycle.RunAsync(_uploader, Builder(), cancel);
        }
        finally { _gate.Release(); }
    }

    // ---- Announcements (message of the day) ----

    /// <summary>
    /// Fetches and verifies the signed announcements; returns the news for this platform and version.
    /// Without consent the fetch carries nothing; with consent it adds the coarse parameters of
    /// <see cref="Announcements.FetchParameters"/>, and <c>reportback_next</c> plus up to
    /// <see cref="CandorClientOptions.ReportbackJitter"/> of random delay becomes the next upload time.
    /// Throws <see cref="Candor.Announcements.AnnouncementRejectedException"/> for a document it must not believe.
    /// </summary>
    public async Task<Announcements.AnnouncementsResult> FetchAnnouncementsAsync(CancellationToken cancel = default)
    {
        if (_http is null || _announcementsBase is null)
            throw new InvalidOperationException("No collector is configured.");
        await _gate.WaitAsync(cancel);
        try
        {
            var now = _time.GetUtcNow();
            var parameters = _consent.IsGranted
                ? new Announcements.FetchParameters(_options.AppVersion, _options.Platform, _options.Language,
                    _options.InstalledAt is { } at ? Announcements.FetchParameters.InstallAgeBucket((now - at).TotalDays) : null)
                : null;
            var fetcher = new Announcements.AnnouncementFetcher(_http, _announcementsBase, Registry.App, _store, _options.AnnouncementKeys);
            var doc = (await fetcher.FetchAsync(parameters, now, cancel)).Document;
            DateTimeOffset? next = null;
            if (_consent.IsGranted && doc.ReportbackNext > 0)
            {
                next = now + TimeSpan.FromSeconds(doc.ReportbackNext) + TimeSpan.FromSeconds(_options.Random.NextDouble() * _options.ReportbackJitter.TotalSeconds);
                _cycle.ScheduleNext(next.Value);
            }
            return new(doc, doc.News.Where(n => n.AppliesTo(_options.Platform, _options.AppVersion)).ToList(), next);
        }
        finally { _gate.Release(); }
    }

    /// <summary>The last announcements this client accepted in this process (null before the first).</summary>
    public Announcements.AnnouncementsResult? LatestAnnouncements { get; private set; }

    /// <summary>Raised after a fetch accepted a document; the app shows <see cref="Announcements.AnnouncementsResult.News"/>.</summary>
    public event Action<Announcements.AnnouncementsResult>? AnnouncementsReceived;

    private const string AnnouncementsFetchedKey = "announcements.fetched_at";

    /// <summary>
    /// The background schedule: fetches when keys are configured and <see cref="CandorClientOptions.AnnouncementInterval"/>
    /// has passed since the last attempt. A rejected document goes to the local log and changes nothing.
    /// </summary>
    public async Task<Announcements.AnnouncementsResult?> FetchAnnouncementsIfDueAsync(CancellationToken cancel = default)
    {
        if (_http is null || _options.AnnouncementKeys.Count == 0)
            return null;
        var now = _time.GetUtcNow();
        if (_store.GetState(AnnouncementsFetchedKey) is { } last
            && now < DateTimeOffset.Parse(last, System.Globalization.CultureInfo.InvariantCulture) + _options.AnnouncementInterval)
            return null;
        _store.SetState(AnnouncementsFetchedKey, now.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            var result = await FetchAnnouncementsAsync(cancel);
            LatestAnnouncements = result;
            AnnouncementsReceived?.Invoke(result);
            return result;
        }
        catch (Candor.Announcements.AnnouncementRejectedException e)
        {
            _store.Log(now, $"Announcements refused ({e.Reason}): {e.Message}");
            return null;
        }
    }

    // ---- The user's view (privacy invariant 7) ----

    public ClientStatus Status()
    {
        var (newCategories, _) = ConsentScope.NotYetAsked(_record, Registry);
        var categories = Registry.Categories.Select(c => new CategoryStatus(c.Name, c.Description,
            _consent.IsGranted && !newCategories.Contains(c.Name) && !_record.DisabledCategories.Contains(c.Name),
            _consent.IsGranted && newCategories.Contains(c.Name))).ToList();
        return new ClientStatus(Registry.App, Registry.Version, _consent, NeedsConsentPrompt, categories, _record.DisabledMetrics,
            _store.Observations().Count, _outbox.Pending().Count, _cycle.NextAttempt, _cycle.Failures);
    }

    /// <summary>What was collected and not yet sent, in words from the registry.</summary>
    public IReadOnlyList<CollectedItem> Show()
    {
        Flush();
        var items = new List<CollectedItem>();
        foreach (var g in _store.Observations().GroupBy(o => (o.Metric, o.Period)))
        {
            var m = Registry.FindMetric(g.Key.Metric);
            string summary = m?.Type switch
            {
                MetricType.Counter => $"{g.Sum(o => o.Amount)} time(s)",
                MetricType.Flag => "yes",
                MetricType.Quantity => $"{g.Last().Amount} (sent as {(m.Transform == NumberTransform.Log10 ? "its order of magnitude" : "its range")})",
                MetricType.Enum => string.Join(", ", g.Select(o => $"{o.Item} {o.Amount} time(s)")),
                MetricType.Histogram => string.Join(", ", g.Select(o => $"{o.Amount} in the range from {o.Item}")),
                _ => string.Join(", ", g.Select(o => $"{o.Item}={o.Amount}")),
            };
            items.Add(new CollectedItem(g.Key.Metric, m?.Description ?? "(no longer in the registry; will not be sent)", g.Key.Period, summary));
        }
        return items;
    }

    /// <summary>
    /// The exact JSON of the next upload: the oldest pending batch, or else the batch the closed periods
    /// would be sealed into now. Null when nothing would be sent.
    /// </summary>
    public string? Preview()
    {
        Flush();
        if (_outbox.Pending() is [var first, ..])
            return first.Json;
        if (!_consent.IsGranted)
            return null;
        var built = Builder().Build(_store.Observations(), Today);
        return built.Batches.Count > 0 ? Encoding.UTF8.GetString(built.Batches[0].Body) : null;
    }

    public IReadOnlyList<OutboxBatch> Pending() => _outbox.Pending();

    /// <summary>The bounded history of batches the collector accepted (newest last).</summary>
    public IReadOnlyList<SentBatch> Sent() => _store.Sent();

    /// <summary>The local log: consent changes, drops and refusals, with reasons.</summary>
    public IReadOnlyList<LogEntry> Log() => _store.LogEntries();

    /// <summary>Everything held locally (collected, pending, sent) as JSON or CSV.</summary>
    public string Export(ExportFormat format)
    {
        Flush();
        var observations = _store.Observations();
        var pending = _outbox.Pending();
        var sent = _store.Sent();
        return format == ExportFormat.Json ? LocalDataExport.Json(Registry, _consent, observations, pending, sent) : LocalDataExport.Csv(observations, pending, sent);
    }

    /// <summary>Erases everything collected, pending or sent. Consent is kept: erasing is not an answer.</summary>
    public void Erase()
    {
        _gate.Wait();
        try
        {
            _recorder.Drain(Today);
            _store.EraseAll(_time.GetUtcNow());
            _activeDay = Today; // erased means erased: today's activity is not marked again
        }
        finally { _gate.Release(); }
    }

    private async void SafeBackground(Func<Task> work)
    {
        if (Volatile.Read(ref _disposed) != 0)
            return;
        try { await work(); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A metrics library must never take the app down; the reason goes to the local log.
            try { _store.Log(_time.GetUtcNow(), $"Background work failed: {e.GetType().Name}: {e.Message}"); } catch { }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _flushTimer?.Dispose();
        _uploadTimer?.Dispose();
        _bridge.Dispose();
        try { Flush(); } catch (Exception e) when (e is IOException or Microsoft.Data.Sqlite.SqliteException) { }
        _http?.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
