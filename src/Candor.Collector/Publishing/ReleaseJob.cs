using System.Collections.Concurrent;
using Candor.Collector.Registry;
using Candor.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.Publishing;

/// <summary>
/// Releases each period when it becomes final, off the request path (privacy invariant 6: a period is
/// published once, when final, and frozen). Runs every <see cref="CollectorOptions.ReleaseEveryMinutes"/>
/// and early when a public read finds a final period without a release (<see cref="ReleaseSignal"/>).
///
/// Several collectors on one database may all run it: the store keeps the first release of a period and
/// ignores the others (<see cref="Storage.IReleaseStore.SaveReleasesAsync"/>), and every collector serves
/// the stored one, so each period is released exactly once. A losing collector's noise is discarded
/// unseen, which costs no privacy. The work of a run is bounded by the periods that became final since
/// the last run, never by what is asked: the first run of a new collector releases the public horizon
/// (<see cref="PublicRange.MaxDays"/>), in chunks of <see cref="ChunkPeriods"/>.
/// </summary>
internal sealed class ReleaseJob(Publisher publisher, RegistryCatalog catalog, ReleaseSignal signal, CollectorOptions options,
    TimeProvider time, ILogger<ReleaseJob> log) : BackgroundService
{
    /// <summary>Periods of one metric released per store write: a large backlog is written in steps.</summary>
    public const int ChunkPeriods = 400;

    // (app, metric) -> newest period known to be released, so a run after the first reads only what is new.
    private readonly ConcurrentDictionary<(string App, string Metric), PeriodKey> _releasedThrough = new();
    private readonly SemaphoreSlim _oneRun = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMinutes(options.ReleaseEveryMinutes);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // Not at start-up: the first interval, or the first public read that finds a final period
                // without a release, starts the first run.
                await signal.WaitForWorkAsync(interval, stoppingToken);
                var run = signal.BeginRun();
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Reads keep answering "releasing" for these periods; the next run tries again.
                    log.LogWarning("Releasing final periods failed: {Error}", e.Message);
                }
                finally
                {
                    run.TrySetResult();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: a chunk is one transaction, so nothing is half-released.
        }
    }

    /// <summary>Releases every final period of every metric within the public horizon that has no release yet; returns how many it made.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        await _oneRun.WaitAsync(cancellationToken);
        try
        {
            var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
            int made = 0;
            foreach (var app in catalog.Apps)
            {
                foreach (var def in app.Latest.Registry.Metrics)
                {
                    var key = (app.App, def.Name);
                    var newestFinal = PeriodKey.For(def.Period, today);
                    while (publisher.FinalOn(newestFinal) > today)
                        newestFinal = PeriodKey.For(def.Period, newestFinal.Start.AddDays(-1));
                    var from = _releasedThrough.TryGetValue(key, out var through)
                        ? PeriodKey.For(def.Period, through.End)
                        : PublicRange.Horizon(def.Period, today);
                    for (var chunk = from; chunk.Start <= newestFinal.Start;)
                    {
                        var periods = Publisher.Periods(def.Period, chunk, newestFinal).Take(ChunkPeriods).ToList();
                        made += await publisher.ReleaseAsync(app, def, periods[0], periods[^1], today, cancellationToken);
                        // A split-trust period may wait for its batch at the Leader: such metrics start from the horizon every run.
                        if (def.SplitTrust is null)
                            _releasedThrough[key] = periods[^1];
                        chunk = PeriodKey.For(def.Period, periods[^1].End);
                    }
                }
            }
            if (made > 0)
                log.LogInformation("Released {Count} final periods.", made);
            return made;
        }
        finally
        {
            _oneRun.Release();
        }
    }
}
