using System.Collections.Concurrent;
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
/// in one process (the tests) never add to each other's counts.
/// </summary>
public sealed class CollectorMetrics
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Counter _requests, _batchesAccepted, _reportsAccepted, _batchesReplayed, _storeErrors, _rateLimited;
    private readonly Histogram _commitSeconds;
    private readonly Gauge _queueDepth, _storeFailing;
    private Func<int> _depth = () => 0;
    private Func<bool> _failing = () => false;

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
        _registry.AddBeforeCollectCallback(() =>
        {
            _queueDepth.Set(_depth());
            _storeFailing.Set(_failing() ? 1 : 0);
        });
    }

    /// <summary>Called once by the ingest queue, which owns the values these gauges show.</summary>
    public void TrackQueue(Func<int> depth, Func<bool> failing)
    {
        _depth = depth;
        _failing = failing;
    }

    /// <summary>
    /// Counts one answer. Called for every request, ingest included: the labelled child is looked up
    /// by (endpoint, method, status class) without building strings or label arrays, which happens once
    /// per combination.
    /// </summary>
    public void RequestAnswered(Endpoint? endpoint, string method, int status)
    {
        int statusClass = Math.Clamp(status / 100, 1, 5);
        var key = (endpoint, method, statusClass);
        if (!_requestChildren.TryGetValue(key, out var child))
        {
            string route = endpoint is RouteEndpoint { RoutePattern.RawText: { } template } ? "/" + template.TrimStart('/') : RequestMetrics.Unmatched;
            child = _requestChildren.GetOrAdd(key, _requests.WithLabels(route, method, statusClass + "xx"));
        }
        child.Inc();
    }

    private readonly ConcurrentDictionary<(Endpoint?, string, int), Counter.Child> _requestChildren = new();

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
