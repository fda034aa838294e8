using Candor.Collector.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.Storage;

/// <summary>
/// Privacy invariant 9: every <see cref="CollectorOptions.RewriteIntervalSeconds"/>, rewrites the tables
/// written since the last time in key order (<see cref="IKeyOrderRewrite.RewriteInKeyOrderAsync"/>), so
/// cells written by one batch lie next to each other, or share a row version, for at most that long.
/// Once at start-up too, for what an earlier run (or an older Candor) left in write order.
/// </summary>
public sealed class StorageRewriter(IKeyOrderRewrite store, CollectorOptions options, TimeProvider time, ILogger<StorageRewriter> log) : BackgroundService
{
    /// <summary>Rewrites that did something, for tests and /metrics.</summary>
    public long Rewrites => Interlocked.Read(ref _rewrites);
    private long _rewrites;

    /// <summary>How soon a rewrite that was skipped or failed is first tried again (then twice as long each time it fails again, up to the interval).</summary>
    public static readonly TimeSpan RetryAfterFailure = TimeSpan.FromMinutes(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        bool first = true;
        return PeriodicJob.RunAsync(TimeSpan.FromSeconds(options.RewriteIntervalSeconds), time, runAtStart: true, async cancellationToken =>
        {
            // Forced at start-up until one has run: what an earlier run left is in write order whatever was written since.
            if (await store.RewriteInKeyOrderAsync(force: first, cancellationToken))
                Interlocked.Increment(ref _rewrites);
            first = false;
        },
        e =>
        {
            if (e is RewriteSkippedException)
                // Not enough room, or a read that held the WAL too long: nothing was written, ingest goes on.
                log.LogWarning("Skipped rewriting the store in key order: {Reason}. Ingest is unaffected; cells written since the last rewrite stay in write order on disk until a rewrite fits (free space; docs/operations.md, \"Disk full\"). Tried again after a minute, backing off to every {Interval} s while it fails.", e.Message, options.RewriteIntervalSeconds);
            else
                // A store outage or an I/O error: the store has emptied the WAL whatever failed, so ingest is unaffected.
                log.LogWarning("Rewriting the store in key order failed: {Error}. Tried again after a minute, backing off to every {Interval} s while it fails.", e.Message, options.RewriteIntervalSeconds);
        }, stoppingToken, RetryAfterFailure);
    }
}
