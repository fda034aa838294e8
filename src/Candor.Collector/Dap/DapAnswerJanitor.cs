using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.Dap;

/// <summary>
/// Hourly, forgets the Helper's answers to aggregation jobs given more than <see cref="DapStore.AnswersKept"/>
/// ago (<see cref="DapStore"/>, rule 4). Each answer names the job's report ids; without this they stayed in the
/// Helper's database for ever, long after a retry of the job could still come.
/// </summary>
internal sealed class DapAnswerJanitor(DapStore store, TimeProvider time, ILogger<DapAnswerJanitor> log) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Hosting.PeriodicJob.RunAsync(TimeSpan.FromHours(1), time, runAtStart: true, RunOnceAsync,
            e => log.LogWarning("Forgetting old DAP aggregation-job answers failed: {Error}", e.Message), stoppingToken);

    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var before = time.GetUtcNow() - DapStore.AnswersKept;
        int forgotten = await store.ForgetAnswersAsync((ulong)before.ToUnixTimeSeconds(), cancellationToken);
        if (forgotten > 0)
        {
            // SQLite: secure_delete zeroed the rows in their pages; the older page images leave with the WAL.
            await store.TruncateLogAsync(cancellationToken);
            log.LogInformation("Forgot {Count} DAP aggregation-job answers older than {Kept}.", forgotten, DapStore.AnswersKept);
        }
        return forgotten;
    }
}
