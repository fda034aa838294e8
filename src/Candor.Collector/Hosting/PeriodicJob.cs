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
    /// <param name="retryAfterFailure">
    /// When shorter than <paramref name="interval"/>: a failed run is tried again after this long rather than at the next
    /// tick, then after twice as long, and so on while it keeps failing, until the wait would reach the interval (from
    /// then on, one interval after the last try; a success also goes back to one interval after itself). For a job
    /// whose interval can be long (the rewrite's, up to a day) and whose failures are usually brief (a read holding the
    /// WAL, a store restarting), without one warning a minute for a failure that lasts (a full disk).
    /// </param>
    public static async Task RunAsync(TimeSpan interval, TimeProvider time, bool runAtStart, Func<CancellationToken, Task> run,
        Action<Exception> failed, CancellationToken stoppingToken, TimeSpan? retryAfterFailure = null)
    {
        var timer = new PeriodicTimer(interval, time);
        try
        {
            if (!runAtStart && !await timer.WaitForNextTickAsync(stoppingToken))
                return;
            var delay = retryAfterFailure ?? interval;
            bool retried = false;
            while (true)
            {
                bool ok;
                try
                {
                    await run(stoppingToken);
                    ok = true;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    failed(e);
                    ok = false;
                }
                if (!ok && delay < interval)
                {
                    await Task.Delay(delay, time, stoppingToken);
                    delay *= 2;
                    retried = true;
                    continue;
                }
                if (retried)
                {
                    // Back on the schedule, one interval after this run: not at once for a tick missed while retrying.
                    timer.Dispose();
                    timer = new PeriodicTimer(interval, time);
                    retried = false;
                }
                if (ok)
                    delay = retryAfterFailure ?? interval;
                if (!await timer.WaitForNextTickAsync(stoppingToken))
                    return;
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping (or disposed without a stop).
        }
        finally
        {
            timer.Dispose();
        }
    }
}
