using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Candor.Collector.Storage;
using Prometheus;

namespace Candor.Collector.Hosting;

/// <summary>
/// The collector's own health for <c>GET /metrics</c>, in Prometheus text. Every label value comes
/// from a closed set the collector itself defines (route templates, status classes, method names it
/// maps, app ids of loaded registries): never a path as sent, a metric value from a report, a header
/// or an address (privacy invariant 5), so a scrape cannot be used to read what clients sent.
/// Each collector has its own registry rather than prometheus-net's static default, so two collectors
/// in one process (the tests) never add to each other's counts. Nothing here is per report or per client:
/// every series is a total over all clients (privacy invariants 5 and 12), and the registry is served
/// only on the operator listener.
/// </summary>
internal sealed class CollectorMetrics
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Counter _requests, _batchesAccepted, _reportsAccepted, _batchesReplayed, _storeErrors, _rateLimited;
    private readonly Counter _sealFailures, _epochsSealed, _tokenRefusals, _azafeaUploads, _azafeaEvents;
    private readonly Histogram _commitSeconds, _requestSeconds;
    private readonly Gauge _queueDepth, _storeFailing, _logPending, _lastSeal, _journalRows;
    private readonly Counter _journalAppends, _journalFolds;
    private Storage.CellJournalPolicy? _journal;
    private Func<int> _depth = () => 0;
    private Func<bool> _failing = () => false;
    private Func<CancellationToken, Task<long>>? _pending;

    /// <summary>Every reason a report post is refused for its token (the problem type's slug): a closed set, all exported from the start.</summary>
    public static readonly string[] TokenRefusalReasons =
        ["token-required", "malformed-token", "wrong-token-issuer", "expired-token-key", "invalid-token", "token-spent"];

    // A scrape must answer while the store hangs: the pending count is then unknown (NaN), not late.
    private static readonly TimeSpan PendingReadTimeout = TimeSpan.FromSeconds(2);

    public CollectorMetrics()
    {
        var f = Metrics.WithCustomRegistry(_registry);
        _requests = f.CreateCounter("candor_http_requests_total",
            "HTTP requests answered, by route template, method and status class.",
            new CounterConfiguration { LabelNames = ["route", "method", "status_class"] });
        _batchesAccepted = f.CreateCounter("candor_batches_accepted_total",
            "Report batches durably stored (answered 202), by app.", new CounterConfiguration { LabelNames = ["app"] });
        _reportsAccepted = f.CreateCounter("candor_reports_accepted_total",
            "Reports in the batches durably stored, by app.", new CounterConfiguration { LabelNames = ["app"] });
        _batchesReplayed = f.CreateCounter("candor_batches_replayed_total",
            "Retries of batches stored before (same Idempotency-Key and body): answered 202, counted once.");
        _storeErrors = f.CreateCounter("candor_store_errors_total",
            "Group commits the store failed (every batch in them was answered 503 and nothing was stored).");
        _rateLimited = f.CreateCounter("candor_rate_limited_total",
            "Batches refused with 429 by the per-address rate limit.");
        _commitSeconds = f.CreateHistogram("candor_commit_duration_seconds",
            "Time to commit one group of batches to the store, failed commits included.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) }); // 0.5 ms .. 4 s
        _queueDepth = f.CreateGauge("candor_ingest_queue_depth",
            "Batches waiting for their commit; at IngestQueueCapacity new batches are answered 503.");
        _storeFailing = f.CreateGauge("candor_store_failing",
            "1 while the store's last group commit failed (an outage), else 0.");
        _journalRows = f.CreateGauge("candor_cell_journal_rows",
            "Cell journal rows this collector appended that no fold has taken yet (each is one group's summed cells).");
        _journalAppends = f.CreateCounter("candor_cell_journal_appends_total",
            "Groups whose cells were appended to the cell journal as one row instead of upserted.");
        _journalFolds = f.CreateCounter("candor_cell_journal_folds_total",
            "Folds of the cell journal that took at least one row.");
        _requestSeconds = f.CreateHistogram("candor_http_request_duration_seconds",
            "Time from a request's arrival to its answer, by route template and method.",
            new HistogramConfiguration { LabelNames = ["route", "method"], Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        f.CreateGauge("candor_build_info", "Always 1; the labels say which Candor and which .NET runtime this is.",
            new GaugeConfiguration { LabelNames = ["version", "runtime"] })
            .WithLabels(Version, System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription).Set(1);
        _logPending = f.CreateGauge("candor_log_pending_entries",
            "Transparency log entries waiting for the next epoch seal (NaN when the store did not answer the scrape's read).");
        _lastSeal = f.CreateGauge("candor_log_last_seal_timestamp_seconds",
            "Unix time this collector last sealed a log epoch; 0 before its first. With several collectors, take the newest.");
        _epochsSealed = f.CreateCounter("candor_log_epochs_sealed_total", "Log epochs this collector sealed.");
        _sealFailures = f.CreateCounter("candor_log_seal_failures_total",
            "Scheduled epoch seals that failed (the store did not commit); the pending set waits for the next one.");
        _tokenRefusals = f.CreateCounter("candor_token_refusals_total",
            "Report posts refused for their Privacy Pass token, by reason (the problem type's slug).",
            new CounterConfiguration { LabelNames = ["reason"] });
        foreach (var reason in TokenRefusalReasons)
            _tokenRefusals.WithLabels(reason); // exported as 0 from the start, so a rate() has a series to start from
        _azafeaUploads = f.CreateCounter("candor_azafea_uploads_total",
            "eos-event-recorder-daemon uploads answered 200, by outcome: stored, nothing_mapped, old_format, or why the upload was invalid (nothing of it stored).",
            new CounterConfiguration { LabelNames = ["outcome"] });
        _azafeaEvents = f.CreateCounter("candor_azafea_events_total",
            "Events of valid eos-event-recorder-daemon uploads, by result: stored, or why dropped.",
            new CounterConfiguration { LabelNames = ["result"] });
        foreach (var outcome in AzafeaUploadOutcomes)
            _azafeaUploads.WithLabels(outcome);
        foreach (var result in AzafeaEventResults)
            _azafeaEvents.WithLabels(result);
        DotNetStats.Register(_registry); // process_* (CPU, memory, open handles, threads, start time) and dotnet_* (GC)
        _registry.AddBeforeCollectCallback(() =>
        {
            _queueDepth.Set(_depth());
            _storeFailing.Set(_failing() ? 1 : 0);
            if (_journal is { } j)
            {
                _journalRows.Set(j.Rows);
                _journalAppends.IncTo(j.Appended);
                _journalFolds.IncTo(j.Folds);
            }
        });
        _registry.AddBeforeCollectCallback(async cancellationToken =>
        {
            if (_pending is null)
                return;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(PendingReadTimeout);
            try
            {
                _logPending.Set(await _pending(timeout.Token));
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                _logPending.Set(double.NaN);
            }
        });
    }

    /// <summary>The collector's version as built (the assembly's informational version).</summary>
    public static string Version { get; } =
        typeof(CollectorMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>Called once by the epoch sealer: how to count the pending set at scrape time (both engines share it).</summary>
    public void TrackLog(Func<CancellationToken, Task<long>> pending) => _pending = pending;

    public void EpochSealed(DateTimeOffset at)
    {
        _epochsSealed.Inc();
        _lastSeal.Set(at.ToUnixTimeMilliseconds() / 1000.0);
    }

    public void SealFailed() => _sealFailures.Inc();

    /// <summary>One refused token; <paramref name="reason"/> is one of <see cref="TokenRefusalReasons"/>.</summary>
    public void TokenRefused(string reason) => _tokenRefusals.WithLabels(reason).Inc();

    /// <summary>Every outcome of an Azafea upload answered 200: a closed set, all exported from the start.</summary>
    public static readonly string[] AzafeaUploadOutcomes =
        ["stored", "nothing_mapped", "old_format", "too_large", "bad_encoding", "bad_gzip", "empty", "checksum_mismatch", "malformed"];

    /// <summary>Every result of one event of a valid Azafea upload.</summary>
    public static readonly string[] AzafeaEventResults =
        ["stored", "unmapped", "disallowed_payload", "wrong_kind", "period", "refused"];

    /// <summary>One Azafea upload answered 200; <paramref name="outcome"/> is one of <see cref="AzafeaUploadOutcomes"/>.</summary>
    public void AzafeaUpload(string outcome) => _azafeaUploads.WithLabels(outcome).Inc();

    /// <summary><paramref name="count"/> events of one result (one of <see cref="AzafeaEventResults"/>).</summary>
    public void AzafeaEvents(string result, int count) => _azafeaEvents.WithLabels(result).Inc(count);

    /// <summary>Called once by the ingest queue, which owns the values these gauges show.</summary>
    public void TrackQueue(Func<int> depth, Func<bool> failing, Storage.CellJournalPolicy? journal = null)
    {
        _depth = depth;
        _failing = failing;
        _journal = journal;
    }

    /// <summary>
    /// Counts one answer. Called for every request, ingest included: the labelled child is looked up
    /// by (endpoint, method, status class) without building strings or label arrays, which happens once
    /// per combination.
    /// </summary>
    public void RequestAnswered(Endpoint? endpoint, string method, int status, TimeSpan elapsed)
    {
        int statusClass = Math.Clamp(status / 100, 1, 5);
        var key = (endpoint, method, statusClass);
        if (!_requestChildren.TryGetValue(key, out var child))
            child = _requestChildren.GetOrAdd(key, _requests.WithLabels(Route(endpoint), method, statusClass + "xx"));
        child.Inc();
        if (!_durationChildren.TryGetValue((endpoint, method), out var duration))
            duration = _durationChildren.GetOrAdd((endpoint, method), _requestSeconds.WithLabels(Route(endpoint), method));
        duration.Observe(elapsed.TotalSeconds);
    }

    private static string Route(Endpoint? endpoint) =>
        endpoint is RouteEndpoint { RoutePattern.RawText: { } template } ? "/" + template.TrimStart('/') : RequestMetrics.Unmatched;

    private readonly ConcurrentDictionary<(Endpoint?, string, int), Counter.Child> _requestChildren = new();
    private readonly ConcurrentDictionary<(Endpoint?, string), Histogram.Child> _durationChildren = new();

    public void CommitSucceeded(TimeSpan elapsed, AppendOutcome[] outcomes, IReadOnlyList<AppendRequest> requests)
    {
        _commitSeconds.Observe(elapsed.TotalSeconds);
        for (int i = 0; i < outcomes.Length; i++)
        {
            switch (outcomes[i].Kind)
            {
                case AppendOutcomeKind.Stored:
                    _batchesAccepted.WithLabels(requests[i].App).Inc();
                    _reportsAccepted.WithLabels(requests[i].App).Inc(requests[i].Reports.Count);
                    break;
                case AppendOutcomeKind.Replayed:
                    _batchesReplayed.Inc();
                    break;
            }
        }
    }

    public void CommitFailed(TimeSpan elapsed)
    {
        _commitSeconds.Observe(elapsed.TotalSeconds);
        _storeErrors.Inc();
    }

    public void RateLimited() => _rateLimited.Inc();

    public async Task<string> ExportAsync(CancellationToken cancellationToken)
    {
        using var m = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(m, cancellationToken);
        return Encoding.UTF8.GetString(m.GetBuffer(), 0, (int)m.Length);
    }
}
