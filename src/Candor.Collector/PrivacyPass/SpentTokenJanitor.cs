using Candor.Collector.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.PrivacyPass;

/// <summary>
/// Hourly, forgets spent tokens of keys no longer accepted: such tokens are refused as expired before
/// the store is asked, so keeping them would only let the double-spend table grow without bound.
/// </summary>
public sealed class SpentTokenJanitor(IReportStore store, TokenKeyRing ring, TimeProvider time, ILogger<SpentTokenJanitor> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        try
        {
            do
            {
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning("Forgetting spent tokens of retired keys failed: {Error}", e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
            // Stopping: a purge is one statement, nothing is half-done.
        }
    }

    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var keep = ring.Current.Accepted.Select(k => k.Public.KeyId).ToArray();
        // With no key at all (an empty folder on a collector without the issuer) there is nothing to compare against: keep everything.
        if (keep.Length == 0)
            return 0;
        int purged = await store.PurgeSpentTokensAsync(keep, cancellationToken);
        if (purged > 0)
            log.LogInformation("Forgot {Count} spent tokens of retired token keys.", purged);
        return purged;
    }
}
