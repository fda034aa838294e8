using Candor.Collector.Storage;
using Candor.Collector.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.Storage;

public sealed class SqliteReportStoreTests : ReportStoreContract
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
    private string Db => Path.Combine(_directory, "store.db");

    private protected override IReportStore CreateStore() => new SqliteReportStore(Db);
    private protected override IReportStore ReopenStore() => new SqliteReportStore(Db);

    private protected override async Task<long> CountAsync(string sql)
    {
        await using var c = new SqliteConnection($"Data Source={Db};Pooling=False");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, true); } catch (IOException) { }
    }

    [Fact]
    public async Task The_database_is_in_wal_mode_with_full_sync()
    {
        using var c = new SqliteConnection($"Data Source={Db}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string)(await cmd.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_database_from_a_newer_candor_is_refused_with_a_clear_message()
    {
        await Store.DisposeAsync();
        using (var c = new SqliteConnection($"Data Source={Db};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA user_version = 99;";
            cmd.ExecuteNonQuery();
        }
        var store = new SqliteReportStore(Db);
        var e = await Assert.ThrowsAsync<StoreSchemaException>(() => store.MigrateAsync());
        Assert.Contains("schema version 99", e.Message);
        Assert.Contains("Upgrade Candor", e.Message);
        await store.DisposeAsync();
        Store = new SqliteReportStore(Path.Combine(_directory, "other.db"));
        await Store.MigrateAsync();
    }

    [Fact]
    public async Task A_failed_group_stores_nothing()
    {
        // A value the schema refuses (NULL in a NOT NULL column) fails the group midway: it rolls back whole.
        var bad = Request("app.a", reports: [Report("m.a", "1"), new Candor.Protocol.ValidatedReport("m.b", "2026-W47", null!, null)]);
        await Assert.ThrowsAnyAsync<Exception>(() => Store.AppendGroupAsync([Request("app.a"), bad]));
        Assert.Empty(await Store.ReadRawAsync("app.a"));
        Assert.Empty(await Store.ReadRollupsAsync("app.a"));
        Assert.Single(await Store.AppendGroupAsync([Request("app.a")]));
    }
}
