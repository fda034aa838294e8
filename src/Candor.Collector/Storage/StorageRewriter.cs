using Candor.Collector.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.Hosting;

/// <summary>
/// Privacy invariant 9: every <see cref="CollectorOptions.RewriteIntervalSeconds"/>, rewrites the tables
/// written since the last time in key order (<see cref="IReportStore.RewriteInKeyOrderAsync"/>), so
/// cells written by one batch lie next to each other, or share a row version, for at most that long.
/// Once at start-up too, for what an earlier run (or an older Candor) left in write order.
/// </summary>
public sealed class StorageRewriter(IReportStore store, CollectorOptions options, TimeProvider time, ILogger<StorageRewriter> log) : BackgroundService
{
    /// <summary>Rewrites that did something, for tests and /metrics.</summary>
    public long Rewrites => Interlocked.Read(ref _rewrites);
    private long _rewrites;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.RewriteIntervalSeconds), time);
        bool first = true;
        try
        {
            do
            {
                try
                {
                    if (await store.RewriteInKeyOrderAsync(force: first, stoppingToken))
                        Interlocked.Increment(ref _rewrites);
                    first = false;
                }
                catch (RewriteSkippedException e)
                {
                    // Not enough room: nothing was written, ingest goes on; the next tick measures again.
                    log.LogWarning("Skipped rewriting the store in key order: {Reason}. Ingest is unaffected; cells written since the last rewrite stay in write order on disk until a rewrite fits (free space; docs/operations.md, \"Disk full\").", e.Message);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A store outage or an I/O error: the next tick tries again; the store has emptied
                    // the WAL whatever failed, so ingest is unaffected.
                    log.LogWarning("Rewriting the store in key order failed: {Error}", e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
            // Stopping: a rewrite is one transaction per table, nothing is half-done.
        }
    }
}
