using System.Net;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Sqlite;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Candor.Tests.Reliability;

/// <summary>
/// The key-order rewrite (VACUUM) on a disk with less free space than the database: a full disk had healed,
/// then the rewrite filled it again, failed, and left its WAL behind, so every commit failed afterwards.
/// Now a rewrite that does not fit is skipped with a warning, and one that fails anyway leaves the WAL
/// empty; either way ingest keeps going. Real SQLite on a real 64 MiB tmpfs.
/// </summary>
public sealed class RewriteOnFullDiskTests(ITestOutputHelper output)
{
    private const string Skipped = "Skipped rewriting the store in key order";

    [SmallFilesystemFact]
    public async Task A_rewrite_that_does_not_fit_is_skipped_with_a_warning_and_ingest_and_the_WAL_stay_healthy()
    {
        using var fs = SmallFilesystem.Mount(64);
        var dir = await DatabaseLargerThanTheFreeSpaceAsync(fs);
        await using var host = await CollectorHost.StartAsync(directory: dir);

        var warning = await WarningAsync(host);
        Assert.Contains("MiB free beside", warning);
        Assert.Contains("Ingest is unaffected", warning);
        await Assert.ThrowsAsync<RewriteSkippedException>(() => host.Store.RewriteInKeyOrderAsync(force: true));

        for (int i = 0; i < 1000; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        long wal = WalBytes(dir);
        output.WriteLine($"WAL {wal} bytes, {fs.FreeBytes} bytes free after 1000 batches");
        Assert.True(wal <= 5L << 20, $"the WAL is {wal} bytes: more than its 4 MiB bound");
        Assert.True(fs.FreeBytes > 6L << 20, $"only {fs.FreeBytes} bytes free: the skipped rewrite took space after all");
        Assert.Equal(1000, (await host.Store.ReadRawAsync(TestRegistries.App)).Single(r => r.Metric == "app.launches").Reports);
    }

    [SmallFilesystemFact]
    public async Task A_rewrite_that_fails_on_a_full_disk_leaves_the_WAL_empty_and_ingest_working()
    {
        using var fs = SmallFilesystem.Mount(64);
        var dir = await DatabaseLargerThanTheFreeSpaceAsync(fs);
        await using var host = await CollectorHost.StartAsync(directory: dir);
        await WarningAsync(host);
        long freeBefore = fs.FreeBytes;

        // Without the space check the VACUUM really runs out of disk (the failure this guards against)...
        ((SqliteReportStore)host.Store).MeasureSpaceBeforeRewrite = false;
        var full = await Assert.ThrowsAsync<SqliteException>(() => host.Store.RewriteInKeyOrderAsync(force: true));
        output.WriteLine($"VACUUM: {full.Message}");
        Assert.Equal(13, full.SqliteErrorCode); // SQLITE_FULL

        // ...and the WAL it filled is emptied afterwards, giving the space back.
        Assert.Equal(0, WalBytes(dir));
        Assert.True(fs.FreeBytes >= freeBefore - (1L << 20), $"{fs.FreeBytes} bytes free after the failed rewrite, {freeBefore} before");
        for (int i = 0; i < 1000; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        Assert.True(WalBytes(dir) <= 5L << 20);
    }

    /// <summary>
    /// A collector database of about 20 MiB (200,000 idempotency keys, random so nothing compresses) on the
    /// small filesystem, which is then filled up to 12 MiB free: enough for ingest, not for a rewrite.
    /// </summary>
    private async Task<string> DatabaseLargerThanTheFreeSpaceAsync(SmallFilesystem fs)
    {
        var dir = Path.Combine(fs.Path, "collector");
        var db = Path.Combine(dir, "candor.db");
        await using (var store = new SqliteReportStore(db))
            await store.MigrateAsync();
        await using (var c = new SqliteConnection($"Data Source={db};Pooling=false"))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = $"""
                WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 200000)
                INSERT INTO idempotency_keys (key_hash, body_mac, accepted, next_after, first_seen)
                SELECT randomblob(32), randomblob(32), 1, 0, '{TestRegistries.Now:yyyy-MM-dd}' FROM n;
                PRAGMA wal_checkpoint(TRUNCATE);
                """;
            await cmd.ExecuteNonQueryAsync();
        }
        long size = new FileInfo(db).Length;
        fs.Fill();
        fs.Free(12);
        output.WriteLine($"database {size} bytes, {fs.FreeBytes} bytes free");
        Assert.True(size > fs.FreeBytes + (4L << 20), "the database must be larger than the free space");
        return dir;
    }

    private static async Task<string> WarningAsync(CollectorHost host)
    {
        for (int i = 0; i < 300; i++)
        {
            if (host.Logs.Lines.FirstOrDefault(l => l.Contains(Skipped)) is { } line)
                return line;
            await Task.Delay(100);
        }
        throw new Xunit.Sdk.XunitException($"no '{Skipped}' warning within 30 s of start-up:\n{string.Join("\n", host.Logs.Lines)}");
    }

    private static long WalBytes(string dir) => new FileInfo(Path.Combine(dir, "candor.db-wal")) is { Exists: true } f ? f.Length : 0;
}
