using System.Text;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Postgres;
using Candor.Collector.Storage.Sqlite;
using Candor.Protocol;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Candor.Tests.Privacy.AtRest;

/// <summary>
/// Privacy invariant 9 against the cell journal, attacked by someone holding the database files (SQLite: the
/// file, its WAL and shm; PostgreSQL: every file of the database). A journal row is the sum of a group, so
/// while it exists it says which reports came in together; a device's rare combination of values is the
/// attacker's target. The attack reads the files for the row's bytes and for the planted pair as the row holds
/// it. Positive controls: the scan finds both while the row is unfolded, and still after the fold until the
/// key-order rewrite (the WAL's old page images, PostgreSQL's dead tuple), the window docs/privacy.md states.
/// After the rewrite: no match.
/// </summary>
public sealed class CellJournalAtRestTests
{
    [Fact]
    public async Task A_folded_journal_row_is_in_no_sqlite_file_after_the_key_order_rewrite()
    {
        var directory = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
        var path = Path.Combine(directory, "store.db");
        var store = new SqliteReportStore(path);
        try
        {
            await AttackAsync(store, async sql =>
            {
                await using var c = new SqliteConnection($"Data Source={path};Pooling=False");
                await c.OpenAsync();
                await using var cmd = new SqliteCommand(sql, c);
                return await cmd.ExecuteScalarAsync();
            }, () => Task.FromResult(RawFiles.Sqlite(path)));
        }
        finally
        {
            await store.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [PostgresFact]
    public async Task A_folded_journal_row_is_in_no_postgres_file_after_the_key_order_rewrite()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var store = new PostgresReportStore(database.ConnectionString);
        await AttackAsync(store, async sql =>
        {
            await using var c = new NpgsqlConnection(database.ConnectionString);
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand(sql, c);
            return await cmd.ExecuteScalarAsync();
        }, () => RawFiles.PostgresDatabaseAsync(database.ConnectionString));
    }

    private static async Task AttackAsync(IReportStore store, Func<string, Task<object?>> scalar, Func<Task<byte[]>> files)
    {
        await store.MigrateAsync();
        store.Journal.MaxRows = 1000;
        store.Journal.MaxAge = TimeSpan.FromHours(1); // folds fall due by rows only: a slow machine must not fold by age mid-test
        // Ordinary traffic, written as cells; then, under load, a group holding one device's rare pair.
        for (int i = 0; i < 20; i++)
            await store.AppendGroupAsync([Batch(("system.os", "linux"), ("app.locale", "en"))]);
        const string RareOs = "haiku-r1b5-planted", RareLocale = "tlh-planted";
        await store.AppendGroupAsync([Batch(("system.os", "linux"), ("app.locale", "en")), Batch(("system.os", RareOs), ("app.locale", RareLocale)),
            Batch(("system.os", "windows"), ("app.locale", "de"))], moreWaiting: true);
        Assert.Equal(1, store.Journal.Appended); // the planted group is a journal row, not cells

        // What the attacker looks for: the row itself, and the planted pair together as the row's names hold them.
        var row = (byte[])(await scalar("SELECT delta FROM cell_journal"))!;
        var os = Encoding.UTF8.GetBytes(RareOs);
        int from = row.AsSpan().IndexOf(os) - 1, to = row.AsSpan().IndexOf(Encoding.UTF8.GetBytes(RareLocale)) + RareLocale.Length;
        Assert.True(from >= 0 && to > from, "the row holds both planted values");
        var pair = row[from..to];

        var live = await files();
        Assert.True(RawFiles.Contains(live, row), "positive control: the scan must find the unfolded row");
        Assert.True(RawFiles.Contains(live, pair), "positive control: the scan must find the planted pair together");

        Assert.Equal(1, await store.FoldJournalAsync());
        Assert.Equal(0L, Convert.ToInt64(await scalar("SELECT count(*) FROM cell_journal")));
        Assert.True(RawFiles.Contains(await files(), pair), "positive control: until the rewrite, the folded row's old bytes are still in the files");

        Assert.True(await store.RewriteInKeyOrderAsync(force: true));

        var after = await files();
        Assert.False(RawFiles.Contains(after, row), "a folded journal row is still in the database files");
        Assert.False(RawFiles.Contains(after, pair), "the planted pair is still together in the database files");
        // The reports themselves stay, as cells: each value alone, nothing that says they came together.
        Assert.Contains(await store.ReadRawAsync(TestRegistries.App), r => r.Value == RareOs && r.Reports == 1);
        Assert.True(RawFiles.Contains(after, os), "the planted value must still be stored, as its own cell");
    }

    private static AppendRequest Batch(params (string Metric, string Value)[] reports) =>
        new(TestRegistries.App, [.. reports.Select(r => new ValidatedReport(r.Metric, "2026-W47", r.Value, null))], null, null,
            new IngestResponse(reports.Length, 86400), new DateOnly(2026, 11, 22));
}
