using System.Diagnostics;
using System.Net;
using Candor.Collector.Hosting;
using Candor.Collector.Storage;
using Candor.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Tests.Privacy.AtRest;

/// <summary>The collector rewrites its store in key order by itself: at start-up, then every interval, and only when something was written.</summary>
public sealed class StorageRewriterTests
{
    [Fact]
    public async Task The_collector_rewrites_what_was_written_every_interval_and_skips_idle_intervals()
    {
        await using var host = await CollectorHost.StartAsync(o => o.RewriteIntervalSeconds = 1);
        var rewriter = host.App.Services.GetRequiredService<StorageRewriter>();
        await WaitAsync(() => rewriter.Rewrites >= 1, "the start-up rewrite");

        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        await WaitAsync(() => rewriter.Rewrites >= 2, "a rewrite after the batch");

        // Nothing written since: the next ticks find nothing to do.
        long after = rewriter.Rewrites;
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Equal(after, rewriter.Rewrites);
    }

    [Fact]
    public async Task A_rewrite_changes_no_content()
    {
        await using var host = await CollectorHost.StartAsync(o => o.RewriteIntervalSeconds = 86400);
        for (int i = 0; i < 20; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch, idempotencyKey: $"k{i}")).StatusCode);
        var before = DatabaseContent.Dump(host.DatabasePath);
        Assert.True(await host.Store.RewriteInKeyOrderAsync(force: true));
        Assert.Equal(before, DatabaseContent.Dump(host.DatabasePath));
        // Retries are still recognised after the rewrite.
        var retry = await host.PostAsync(TestRegistries.FullBatch, idempotencyKey: "k3");
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
