using Candor.Client;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.Client;

/// <summary>Issue 8, part 6: a damaged local store never crashes the host application.</summary>
public sealed class CorruptStoreTests : IDisposable
{
    private readonly ClientTestKit _kit = new();
    public void Dispose() => _kit.Dispose();

    private string StoreFile => Path.Combine(_kit.DataDirectory, "candor-client.db");

    [Theory]
    [InlineData("garbage")]
    [InlineData("truncated")]
    public void A_corrupted_local_store_is_set_aside_and_recreated_and_the_client_keeps_working(string damage)
    {
        using (var client = _kit.Create())
        {
            client.GrantConsent();
            ClientTestKit.RecordSomething(client);
            client.Flush();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var wal in new[] { "-wal", "-shm" }) File.Delete(StoreFile + wal);
        if (damage == "garbage")
            File.WriteAllBytes(StoreFile, System.Text.Encoding.ASCII.GetBytes(new string('x', 8192)));
        else
        {
            var bytes = File.ReadAllBytes(StoreFile);
            // Keep the header, destroy the pages: SQLite opens it, then finds it damaged.
            for (int i = 100; i < bytes.Length; i++) bytes[i] = 0xA5;
            File.WriteAllBytes(StoreFile, bytes);
        }

        using var again = _kit.Create();
        Assert.True(File.Exists(StoreFile + ".corrupt"), "the damaged file was not kept aside");
        Assert.Contains(again.Log(), e => e.Message.Contains("could not be read") && e.Message.Contains("set aside"));
        // The app goes on: consent (its own file) is intact, and recording works again.
        Assert.True(again.Consent.IsGranted);
        ClientTestKit.RecordSomething(again);
        again.Flush();
        Assert.Contains(again.Show(), i => i.Metric == "system.os");
    }

    [Fact]
    public void Only_one_damaged_copy_is_kept()
    {
        for (int round = 0; round < 3; round++)
        {
            using (var client = _kit.Create()) { client.GrantConsent(); client.Flush(); }
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var wal in new[] { "-wal", "-shm" }) File.Delete(StoreFile + wal);
            File.WriteAllBytes(StoreFile, new byte[4096]);
            using var again = _kit.Create();
        }
        Assert.Single(Directory.GetFiles(_kit.DataDirectory, "candor-client.db.corrupt*"), f => !f.EndsWith("-wal") && !f.EndsWith("-shm"));
    }

    [Fact]
    public void A_store_damaged_while_the_app_runs_is_set_aside_without_a_restart()
    {
        using var client = _kit.Create();
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        client.Flush();

        // Another program (or a failing disk) overwrites the file under the running app. The connection
        // pool has let its idle connections go (the file is not held open between calls for this).
        SqliteConnection.ClearAllPools();
        foreach (var wal in new[] { "-wal", "-shm" }) File.Delete(StoreFile + wal);
        File.WriteAllBytes(StoreFile, Enumerable.Repeat((byte)0xA5, 8192).ToArray());

        // The same instance goes on: no call throws, the damaged file is kept aside, new data is kept.
        Assert.NotNull(client.Status());
        ClientTestKit.RecordSomething(client);
        client.Flush();
        Assert.Contains(client.Show(), i => i.Metric == "system.os");
        Assert.True(File.Exists(StoreFile + ".corrupt"), "the damaged file was not kept aside");
        Assert.Contains(client.Log(), e => e.Message.Contains("set aside"));
    }

    [Fact]
    public async Task A_malformed_outbox_row_is_dropped_and_logged_and_never_wedges_uploads_status_or_pending()
    {
        await using var collector = await CollectorHost.StartAsync(clockStart: new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        using var client = _kit.Create(collector.BaseAddress);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        client.Flush();
        using (var c = new SqliteConnection($"Data Source={StoreFile}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            // A bad date (the failure that used to throw on every call for ever) and a row with no usable body.
            cmd.CommandText = """
                INSERT INTO outbox (idempotency_key, body, oldest_period_end) VALUES ('k1', x'7b7d', '2026-13-45');
                INSERT INTO outbox (idempotency_key, body, oldest_period_end) VALUES ('k2', 'not bytes', '2026-11-22');
                """;
            cmd.ExecuteNonQuery();
        }
        _kit.Clock.Set(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));

        Assert.Equal(0, client.Status().PendingBatches);
        Assert.Empty(client.Pending());
        var cycle = await client.UploadAsync();

        Assert.Equal(1, cycle.Sent); // the real batch went out
        Assert.Equal(2, client.Log().Count(e => e.Message.StartsWith("Dropped a damaged pending batch")));
        Assert.NotEmpty(await collector.Store.ReadRawAsync(TestRegistries.App));
    }
}
