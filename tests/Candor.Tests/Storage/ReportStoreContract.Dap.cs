using System.Text.Json.Nodes;
using Candor.Collector.Dap;
using Candor.Dap;
using Candor.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Tests.Storage;

/// <summary>
/// The DAP Helper's answers to aggregation jobs on both engines (<see cref="DapStore"/>, rule 4): kept for
/// <see cref="DapStore.AnswersKept"/> so a retried job gets the same answer, then forgotten.
/// </summary>
public abstract partial class ReportStoreContract
{
    [StoreFact]
    public async Task Dap_helper_answers_older_than_a_day_are_forgotten_and_recent_ones_stay_for_retries()
    {
        var dap = DapStore.For(Store);
        var vdaf = DapVdaf.Parse(new JsonObject { ["type"] = "count" });
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 12, 30, 0, TimeSpan.Zero));
        byte[] task = [.. Enumerable.Repeat((byte)7, 32)], old = [1], recent = [2];
        async Task AnswerAsync(byte[] job, DateTimeOffset at) =>
            await dap.FinishHelperJobAsync(task, job, [9], vdaf, [], _ => [0xA0, job[0]], (ulong)at.ToUnixTimeSeconds());
        await AnswerAsync(old, clock.GetUtcNow() - TimeSpan.FromHours(26));
        await AnswerAsync(recent, clock.GetUtcNow() - TimeSpan.FromHours(2));
        var janitor = new DapAnswerJanitor(dap, clock, NullLogger<DapAnswerJanitor>.Instance);

        Assert.Equal(1, await janitor.RunOnceAsync());

        Assert.Null(await dap.FindAggregationJobAsync(task, old));
        // The recent answer is still there, byte for byte, for a retry of its job.
        Assert.Equal(new byte[] { 0xA0, 2 }, (await dap.FindAggregationJobAsync(task, recent))!.Value.Response);
        Assert.Equal(0, await janitor.RunOnceAsync());

        // A day on, it goes too: nothing of the Helper's answers is kept for ever.
        clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, await janitor.RunOnceAsync());
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM dap_aggregation_jobs;"));
    }
}
