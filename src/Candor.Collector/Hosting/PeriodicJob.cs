namespace Candor.Collector.Hosting;

/// <summary>
/// The one loop shape of the background cleaners and sealers (<see cref="Ingest.IdempotencyKeyJanitor"/>,
/// <see cref="PrivacyPass.SpentTokenJanitor"/>, <see cref="Retention.RetentionJanitor"/>,
/// <see cref="Storage.StorageRewriter"/>, <see cref="Transparency.EpochSealer"/>): a run now (or after the
/// first tick), then one per tick of the collector's <see cref="TimeProvider"/>. A run that fails is reported
/// and the next tick tries again, so a store outage never stops the job for good; stopping ends the loop
/// quietly, because each run is one transaction (or one statement) and nothing is left half-done.
/// </summary>
public static class PeriodicJob
{
    /// <param name="runAtStart">Run once before the first tick (cleaners catch up on what an earlier run left).</param>
    /// <param name="failed">Told of each run's failure; cancellation is not a failure.</param>
    public static async Task RunAsync(TimeSpan interval, TimeProvider time, bool runAtStart, Func<CancellationToken, Task> run,
        Action<Exception> failed, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            if (!runAtStart && !await timer.WaitForNextTickAsync(stoppingToken))
                return;
            do
            {
                try
                {
                    await run(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    failed(e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
            // Stopping (or disposed without a stop).
        }
    }
}
