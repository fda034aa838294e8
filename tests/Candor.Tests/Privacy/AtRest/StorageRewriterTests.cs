using System.Diagnostics;
using System.Net;
using Candor.Collector.Hosting;
using Candor.Collector.Storage;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
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

    /// <summary>
    /// A read still going when the rewrite empties the WAL: the rewrite waits for it instead of giving up. It did give
    /// up, and the collector only tried again a whole interval later (10 minutes by default, up to a day; a day in these tests): one dashboard read at start-up
    /// left what an earlier run wrote in write order all day (and failed a CI run's at-rest test).
    /// </summary>
    [Fact]
    public async Task A_read_in_progress_delays_the_rewrite_instead_of_skipping_it()
    {
        await using var host = await RewriterIdleAsync();
        await using var reader = await ReadInProgressAsync(host);
        var finish = Task.Run(async () =>
        {
            await Task.Delay(100); // well inside the 2 s patience even on a loaded machine; without it the rewrite gives up at once
            await EndAsync(reader);
        });
        Assert.True(await host.Store.RewriteInKeyOrderAsync(force: true));
        await finish;
        Assert.Equal(0, new FileInfo(host.DatabasePath + "-wal").Length);
    }

    /// <summary>The positive control: a read that outlasts <see cref="Candor.Collector.Storage.Sqlite.SqliteDatabase.CheckpointPatience"/> does keep the WAL, and the rewrite is skipped, not run over it.</summary>
    [Fact]
    public async Task A_read_longer_than_the_patience_skips_the_rewrite()
    {
        await using var host = await RewriterIdleAsync();
        await using var reader = await ReadInProgressAsync(host);
        var skipped = await Assert.ThrowsAsync<RewriteSkippedException>(() => host.Store.RewriteInKeyOrderAsync(force: true));
        Assert.Contains("long read", skipped.Message);
        Assert.True(new FileInfo(host.DatabasePath + "-wal").Length > 0);
        await EndAsync(reader);
        Assert.True(await host.Store.RewriteInKeyOrderAsync(force: true));
    }

    /// <summary>A collector past its start-up rewrite, with a batch written since (so the WAL holds frames).</summary>
    private static async Task<CollectorHost> RewriterIdleAsync()
    {
        var host = await CollectorHost.StartAsync(o => o.RewriteIntervalSeconds = 86400);
        await StartUpRewrite.AwaitAsync(host);
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        Assert.True(new FileInfo(host.DatabasePath + "-wal").Length > 0);
        return host;
    }

    /// <summary>Another connection in the middle of a read transaction begun while the WAL holds frames.</summary>
    private static async Task<SqliteConnection> ReadInProgressAsync(CollectorHost host)
    {
        var c = new SqliteConnection($"Data Source={host.DatabasePath};Mode=ReadOnly;Pooling=false");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "BEGIN; SELECT count(*) FROM sqlite_master;";
        await cmd.ExecuteScalarAsync();
        return c;
    }

    private static async Task EndAsync(SqliteConnection reader)
    {
        await using var cmd = reader.CreateCommand();
        cmd.CommandText = "COMMIT;";
        await cmd.ExecuteNonQueryAsync();
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
