using System.Net;
using Candor.Collector.Storage.Sqlite;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Ingest;

/// <summary>
/// SQLite ingest groups commit without SQLite's own sync and reach the disk through WalFlush, outside the
/// writer lock (docs/benchmarks.md, "Ingest at ordinary concurrency"). "A 202 means on disk" must still
/// hold: these tests hold and fail that sync on the real collector and the real file. The seam only
/// replaces the fdatasync call; the positive control is the first test's own sync count.
/// </summary>
[Collection(nameof(WalSyncTests))] // the seam is static: no other test of this class may run beside it
public sealed class WalSyncTests : IDisposable
{
    public void Dispose() => WalFlush.Intercept = null;

    [Fact]
    public async Task A_batch_is_answered_only_after_the_sync_that_began_after_its_commit_returns()
    {
        await using var host = await CollectorHost.StartAsync();
        string wal = host.DatabasePath + "-wal";
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var syncStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int syncs = 0;
        WalFlush.Intercept = path =>
        {
            if (path != wal)
                return null;
            Interlocked.Increment(ref syncs);
            syncStarted.TrySetResult();
            return held.Task;
        };

        var post = host.PostAsync(TestRegistries.FullBatch);
        await syncStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // The commit is done (the sync only starts after it) and readable, yet nobody was answered.
        Assert.Equal(6, (await host.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports));
        Assert.NotSame(post, await Task.WhenAny(post, Task.Delay(TimeSpan.FromMilliseconds(500))));

        held.SetResult();
        Assert.Equal(HttpStatusCode.Accepted, (await post).StatusCode);
        Assert.Equal(1, Volatile.Read(ref syncs));
    }

    [Fact]
    public async Task A_failed_sync_answers_503_and_every_later_batch_too_until_a_restart()
    {
        await using var host = await CollectorHost.StartAsync(o => o.RetryAfterSeconds = 13);
        string wal = host.DatabasePath + "-wal";
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        int failures = 0;
        WalFlush.Intercept = path => path == wal && Interlocked.Increment(ref failures) == 1
            ? Task.FromException(new IOException("fdatasync of the WAL failed (errno 5)."))
            : null;

        var refused = await host.PostAsync(TestRegistries.FullBatch);
        await Problem.AssertAsync(refused, HttpStatusCode.ServiceUnavailable, "store-unavailable");
        Assert.Equal(TimeSpan.FromSeconds(13), refused.Headers.RetryAfter!.Delta);

        // The disk "recovered" (the seam now lets the real sync run), but after a failed fsync the kernel may
        // have dropped pages this store wrote: no later batch is acknowledged as on disk.
        var later = await host.PostAsync(TestRegistries.FullBatch);
        await Problem.AssertAsync(later, HttpStatusCode.ServiceUnavailable, "store-unavailable");
        Assert.Contains(host.Logs.Lines, l => l.Contains("Storing a group of 1 batches failed") && l.Contains("errno 5"));
        var ready = await host.OperatorClient.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }
}
