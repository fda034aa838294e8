using Candor.Collector.Registry;
using Candor.Collector.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.Retention;

/// <summary>
/// Privacy invariant 8: hourly, and once at start-up, deletes every app's raw rows whose period ended
/// more than its retention ago (<see cref="CollectorOptions.RetentionFor"/>); rollups stay. Each
/// collector runs it; on a shared PostgreSQL the purges do not double count (see
/// <see cref="IRetentionStore.PurgeRawAsync"/>), so no leader election is needed.
/// </summary>
internal sealed class RetentionJanitor(IRetentionStore store, RegistryCatalog catalog, CollectorOptions options, TimeProvider time, ILogger<RetentionJanitor> log)
    : BackgroundService
{
    private readonly TaskCompletionSource _startupPurge = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes when the start-up pass has run (purged or failed). The purge log gets an entry per pass
    /// whether rows went or not, so anything that compares the database before and after an action (tests,
    /// an operator's check) waits for this first, or the start-up entry lands in between.
    /// </summary>
    public Task StartupPurge => _startupPurge.Task;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Hosting.PeriodicJob.RunAsync(TimeSpan.FromHours(1), time, runAtStart: true, async cancellationToken =>
        {
            try
            {
                await RunOnceAsync(cancellationToken);
            }
            finally
            {
                _startupPurge.TrySetResult();
            }
        }, e => log.LogWarning("Purging raw reports past retention failed: {Error}", e.Message), stoppingToken);

    /// <summary>One pass over every app; returns what it purged (apps with nothing to purge included).</summary>
    public async Task<IReadOnlyList<PurgeRecord>> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var purged = new List<PurgeRecord>();
        foreach (var app in catalog.Apps)
        {
            // The same boundary as ingest: a period that ended RetentionDays ago or earlier is refused there.
            var record = await store.PurgeRawAsync(app.App, today.AddDays(-options.RetentionFor(app.App)), today, cancellationToken);
            if (record.RawRows > 0)
                log.LogInformation("Retention: deleted {Rows} raw rows ({Reports} reports) of {App} for periods before {Before}.",
                    record.RawRows, record.Reports, app.App, record.PurgedBefore);
            purged.Add(record);
            // Batches stored apart for lack of a token (TokenMode.Separate) age out like the app's own.
            if (options.TokenModeFor(app.App) == PrivacyPass.TokenMode.Separate)
                await store.PurgeRawAsync(app.App + PrivacyPass.TokenRedemption.UntokenedSuffix, today.AddDays(-options.RetentionFor(app.App)), today, cancellationToken);
        }
        return purged;
    }
}
