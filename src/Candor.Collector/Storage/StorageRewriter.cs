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

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        bool first = true;
        return PeriodicJob.RunAsync(TimeSpan.FromSeconds(options.RewriteIntervalSeconds), time, runAtStart: true, async cancellationToken =>
        {
            try
            {
                if (await store.RewriteInKeyOrderAsync(force: first, cancellationToken))
                    Interlocked.Increment(ref _rewrites);
                first = false;
            }
            catch (RewriteSkippedException e)
            {
                // Not enough room: nothing was written, ingest goes on; the next tick measures again.
                log.LogWarning("Skipped rewriting the store in key order: {Reason}. Ingest is unaffected; cells written since the last rewrite stay in write order on disk until a rewrite fits (free space; docs/operations.md, \"Disk full\").", e.Message);
            }
        },
        // A store outage or an I/O error: the next tick tries again; the store has emptied the WAL whatever
        // failed, so ingest is unaffected.
        e => log.LogWarning("Rewriting the store in key order failed: {Error}", e.Message), stoppingToken);
    }
}
