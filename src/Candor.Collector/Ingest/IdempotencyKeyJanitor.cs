using Candor.Collector.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.Hosting;

/// <summary>Forgets idempotency keys older than <see cref="CollectorOptions.IdempotencyDays"/>, hourly.</summary>
public sealed class IdempotencyKeyJanitor(IReportStore store, CollectorOptions options, TimeProvider time, ILogger<IdempotencyKeyJanitor> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        try
        {
            await PurgeLoopAsync(timer, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping (or disposed without a stop): nothing is half-done, a purge is one statement.
        }
    }

    private async Task PurgeLoopAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        do
        {
            try
            {
                var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
                int purged = await store.PurgeIdempotencyKeysAsync(today.AddDays(-options.IdempotencyDays), stoppingToken);
                if (purged > 0)
                    log.LogInformation("Forgot {Count} idempotency keys older than {Days} days.", purged, options.IdempotencyDays);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning("Purging old idempotency keys failed: {Error}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
