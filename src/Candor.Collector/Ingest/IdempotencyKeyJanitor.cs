using Candor.Collector.Hosting;
using Candor.Collector.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.Ingest;

/// <summary>Forgets idempotency keys older than <see cref="CollectorOptions.IdempotencyDays"/>, at start-up and hourly.</summary>
public sealed class IdempotencyKeyJanitor(IIdempotencyKeyStore store, CollectorOptions options, TimeProvider time, ILogger<IdempotencyKeyJanitor> log) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicJob.RunAsync(TimeSpan.FromHours(1), time, runAtStart: true, async cancellationToken =>
        {
            var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
            int purged = await store.PurgeIdempotencyKeysAsync(today.AddDays(-options.IdempotencyDays), cancellationToken);
            if (purged > 0)
                log.LogInformation("Forgot {Count} idempotency keys older than {Days} days.", purged, options.IdempotencyDays);
        }, e => log.LogWarning("Purging old idempotency keys failed: {Error}", e.Message), stoppingToken);
}
