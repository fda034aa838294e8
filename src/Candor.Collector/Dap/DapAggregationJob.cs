using Candor.Dap;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.Dap;

/// <summary>
/// At the Leader, runs aggregation jobs for every task on a timer, so reports are prepared, added and
/// deleted soon after they arrive rather than waiting for the Collector (a collection poll also runs them).
/// A failure (the Helper down) is logged and retried at the next turn: the reports stay waiting.
/// </summary>
internal sealed class DapAggregationJob(DapTasks tasks, DapLeader leader, CollectorOptions options, ILogger<DapAggregationJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.DapAggregationIntervalSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var task in tasks.All.Where(t => t.Role == DapRole.Leader))
            {
                try
                {
                    await leader.AggregateAsync(task, stoppingToken);
                }
                // Any failure, not only the network's: an exception escaping a BackgroundService stops the whole collector.
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning("DAP task {Task}: aggregation job failed, retrying later: {Reason}", task.IdText, e.Message);
                }
            }
        }
    }
}
