using Candor.Collector.Storage;
using Candor.Collector.Storage.Postgres;
using Candor.Collector.Storage.Sqlite;
using Candor.Protocol;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.Storage;

/// <summary>Versioned schemas: an older database is brought forward with its data; a newer one is refused.</summary>
public sealed class SchemaMigrationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-migrate-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static AppendRequest Batch(byte[] key) => new("app.a", [new ValidatedReport("system.os", "2026-W47", "linux", null)], key, [1],
        new IngestResponse(1, 86400), new DateOnly(2026, 11, 22));

    [Fact]
    public async Task A_version_1_sqlite_database_is_migrated_to_the_latest_version_keeping_its_data()
    {
        var db = Path.Combine(_dir, "old.db");
        await using (var old = new SqliteReportStore(db))
        {
            await old.MigrateAsync(1, default);
            await old.AppendGroupAsync([Batch([1])]);
            Assert.Equal(1, await old.ReadVersionAsync());
        }
        await using var store = new SqliteReportStore(db);
        await store.MigrateAsync();
        Assert.Equal(SqliteReportStore.SchemaVersion, await store.ReadVersionAsync());
        Assert.True(SqliteReportStore.SchemaVersion >= 2);
        Assert.Equal(1, (await store.ReadRawAsync("app.a")).Single().Reports);
        Assert.Equal(AppendOutcomeKind.Replayed, (await store.AppendGroupAsync([Batch([1])]))[0].Kind);
        Assert.Equal(["app", "day", "purged_before", "raw_rows", "reports"], DatabaseContent.Columns(db, "purge_log"));
    }

    [PostgresFact]
    public async Task A_version_1_postgres_database_is_migrated_to_the_latest_version_keeping_its_data()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using (var old = new PostgresReportStore(database.ConnectionString))
        {
            await old.MigrateAsync(1, default);
            await old.AppendGroupAsync([Batch([1])]);
            Assert.Equal(1, await old.ReadVersionAsync());
        }
        await using var store = new PostgresReportStore(database.ConnectionString);
        await store.MigrateAsync();
        Assert.Equal(PostgresReportStore.SchemaVersion, await store.ReadVersionAsync());
        Assert.Equal(1, (await store.ReadRawAsync("app.a")).Single().Reports);
        Assert.Equal(AppendOutcomeKind.Replayed, (await store.AppendGroupAsync([Batch([1])]))[0].Kind);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM purge_log;"));
    }

    [PostgresFact]
    public async Task Collectors_starting_together_on_an_empty_database_migrate_it_once()
    {
        await using var database = await TestDatabase.CreateAsync();
        var stores = Enumerable.Range(0, 4).Select(_ => new PostgresReportStore(database.ConnectionString)).ToList();
        await Task.WhenAll(stores.Select(s => Task.Run(() => s.MigrateAsync())));
        Assert.Equal(PostgresReportStore.SchemaVersion, await stores[0].ReadVersionAsync());
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM schema_version;"));
        foreach (var s in stores)
            await s.DisposeAsync();
    }

    [Fact]
    public async Task Candor_db_migrate_upgrades_an_old_sqlite_database_and_says_so()
    {
        var db = Path.Combine(_dir, "cli.db");
        await using (var old = new SqliteReportStore(db))
            await old.MigrateAsync(1, default);
        SqliteConnection.ClearAllPools();
        var (exit, stdout, stderr) = await CandorProcess.RunAsync(_dir, "db", "migrate", "--db", db);
        Assert.True(exit == 0, stderr);
        Assert.Contains($"schema migrated from version 1 to {SqliteReportStore.SchemaVersion}", stdout);
        (exit, stdout, _) = await CandorProcess.RunAsync(_dir, "db", "migrate", "--db", db);
        Assert.Equal(0, exit);
        Assert.Contains($"schema already at version {SqliteReportStore.SchemaVersion}", stdout);
    }

    [Fact]
    public async Task Candor_db_migrate_refuses_a_newer_database_with_a_one_line_message()
    {
        var db = Path.Combine(_dir, "new.db");
        using (var c = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA user_version = 99;";
            cmd.ExecuteNonQuery();
        }
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "db", "migrate", "--db", db);
        Assert.Equal(1, exit);
        Assert.Contains("candor db migrate: ", stderr);
        Assert.Contains("schema version 99", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [PostgresFact]
    public async Task Candor_db_migrate_creates_the_postgres_schema()
    {
        await using var database = await TestDatabase.CreateAsync();
        var (exit, stdout, stderr) = await CandorProcess.RunAsync(_dir, "db", "migrate", "--db", database.ConnectionString);
        Assert.True(exit == 0, stderr);
        Assert.Contains($"schema migrated from version 0 to {PostgresReportStore.SchemaVersion}", stdout);
        Assert.Contains("PostgreSQL: ", stdout);
    }
}
