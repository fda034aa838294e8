using Candor.Collector.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.PrivacyPass;

/// <summary>
/// Hourly, forgets spent tokens of keys no longer accepted: such tokens are refused as expired before
/// the store is asked, so keeping them would only let the double-spend table grow without bound.
/// </summary>
internal sealed class SpentTokenJanitor(ITokenStore store, TokenKeyRing ring, TimeProvider time, ILogger<SpentTokenJanitor> log) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Hosting.PeriodicJob.RunAsync(TimeSpan.FromHours(1), time, runAtStart: true, RunOnceAsync,
            e => log.LogWarning("Forgetting spent tokens of retired keys failed: {Error}", e.Message), stoppingToken);

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
