using Candor.Client;

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
}
