using Candor.Collector.Storage;
using Candor.Collector.Storage.Postgres;
using Candor.Collector.Storage.Sqlite;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Storage;

/// <summary>The storage contract on PostgreSQL: the class has its own fresh database, emptied before each test.</summary>
[RequiresPostgres]
public sealed class PostgresReportStoreTests(TestDatabaseFixture fixture) : ReportStoreContract, IClassFixture<TestDatabaseFixture>
{
    private TestDatabase? _database;

    private protected override IReportStore CreateStore()
    {
        _database = fixture.Database;
        fixture.ResetAsync().GetAwaiter().GetResult();
        return new PostgresReportStore(_database.ConnectionString);
    }

    private protected override IReportStore ReopenStore() => new PostgresReportStore(_database!.ConnectionString);

    private protected override Task<long> CountAsync(string sql) => _database!.ScalarAsync<long>(sql);

    [PostgresFact]
    public async Task Raw_rows_are_partitioned_by_the_month_their_period_starts_in()
    {
        await Store.AppendGroupAsync([Request("app.a", reports: [Report("m.a", "1", "2026-W47"), Report("m.a", "1", "2026-11-30"), Report("m.a", "1", "2026-W50")])]);
        Assert.Equal(2L, await _database!.ScalarAsync<long>("SELECT count(*) FROM pg_inherits WHERE inhparent = 'raw_reports'::regclass;"));
        Assert.Equal(2L, await _database.ScalarAsync<long>("SELECT count(*) FROM raw_reports_2026_11;"));
        Assert.Equal(1L, await _database.ScalarAsync<long>("SELECT count(*) FROM raw_reports_2026_12;"));
    }

    [PostgresFact]
    public async Task A_database_from_a_newer_candor_is_refused_with_a_clear_message()
    {
        await _database!.ExecAsync("UPDATE schema_version SET version = 99;");
        await using var store = new PostgresReportStore(_database.ConnectionString);
        var e = await Assert.ThrowsAsync<StoreSchemaException>(() => store.MigrateAsync());
        Assert.Contains("schema version 99", e.Message);
        Assert.Contains("Upgrade Candor", e.Message);
    }

    [PostgresFact]
    public async Task A_failed_group_stores_nothing()
    {
        // A NULL value fails the group midway: the keys it claimed and the rows before it roll back too.
        var bad = Request("app.a", key: [1], reports: [Report("m.a", "1"), new Candor.Protocol.ValidatedReport("m.b", "2026-W47", null!, null)]);
        await Assert.ThrowsAnyAsync<Exception>(() => Store.AppendGroupAsync([Request("app.a"), bad]));
        Assert.Empty(await Store.ReadRawAsync("app.a"));
        Assert.Empty(await Store.ReadRollupsAsync("app.a"));
        Assert.Equal(0L, await _database!.ScalarAsync<long>("SELECT count(*) FROM idempotency_keys;"));
        Assert.Single(await Store.AppendGroupAsync([Request("app.a")]));
    }

    [PostgresFact]
    public async Task Two_stores_claiming_the_same_keys_at_once_store_each_batch_once()
    {
        // Two collectors on one database, every batch sent to both at once, keys in opposite orders.
        await using var other = new PostgresReportStore(_database!.ConnectionString);
        await other.MigrateAsync();
        var keys = Enumerable.Range(0, 50).Select(i => new byte[] { (byte)i, 42 }).ToList();
        var tasks = new List<Task<AppendOutcome[]>>();
        for (int round = 0; round < 5; round++)
        {
            var group = keys.Skip(round * 10).Take(10).Select(k => Request("app.a", k)).ToList();
            tasks.Add(Task.Run(() => Store.AppendGroupAsync(group)));
            tasks.Add(Task.Run(() => other.AppendGroupAsync(group.AsEnumerable().Reverse().ToList())));
        }
        var outcomes = (await Task.WhenAll(tasks)).SelectMany(o => o).ToList();
        Assert.Equal(50, outcomes.Count(o => o.Kind == AppendOutcomeKind.Stored));
        Assert.Equal(50, outcomes.Count(o => o.Kind == AppendOutcomeKind.Replayed));
        Assert.Equal(100, (await Store.ReadRawAsync("app.a")).Sum(r => r.Reports));
        Assert.All(await Store.ReadRollupsAsync("app.a"), c => Assert.Equal(50, c.Reports));
    }

    [PostgresFact]
    public async Task Two_collectors_purging_at_once_delete_and_log_each_row_once()
    {
        await using var other = new PostgresReportStore(_database!.ConnectionString);
        await other.MigrateAsync();
        var group = Enumerable.Range(0, 200).Select(i => Request("app.a", reports: [Report("m.a", i.ToString(), "2026-10-01"), Report("m.a", i.ToString(), "2026-W47")])).ToList();
        await Store.AppendGroupAsync(group);
        var cutoff = new DateOnly(2026, 11, 1);
        var both = await Task.WhenAll(Task.Run(() => Store.PurgeRawAsync("app.a", cutoff, new DateOnly(2027, 1, 30))),
                                      Task.Run(() => other.PurgeRawAsync("app.a", cutoff, new DateOnly(2027, 1, 30))));
        Assert.Equal(200, both.Sum(p => p.RawRows));
        Assert.Equal(200, Assert.Single(await Store.ReadPurgesAsync("app.a")).RawRows);
        Assert.Equal(200, (await Store.ReadRawAsync("app.a")).Count);
    }

    [PostgresFact]
    public async Task A_group_chosen_as_deadlock_victim_is_retried_whole_and_counted_once()
    {
        await Store.AppendGroupAsync([Request("app.a", reports: [Report("system.os", "linux")])]);
        // Another session locks the rollup cell, lets the group lock the raw cell and wait for the rollup,
        // then asks for the raw cell: a cycle. PostgreSQL checks once per wait, after deadlock_timeout; the
        // group's session checks after 3 s (the cycle exists by then), the other's after 20 s, so the group
        // is the victim.
        await using var victim = new PostgresReportStore(_database!.ConnectionString + ";Options=-c deadlock_timeout=3s");
        await victim.MigrateAsync();
        await using var other = new Npgsql.NpgsqlConnection(_database.ConnectionString);
        await other.OpenAsync();
        await using var tx = await other.BeginTransactionAsync();
        await Exec(other, "SET LOCAL deadlock_timeout = '20s';");
        await Exec(other, "UPDATE rollups SET total = total WHERE app = 'app.a' AND metric = 'system.os';");

        var append = Task.Run(() => victim.AppendGroupAsync([Request("app.a", key: [3, 1], reports: [Report("system.os", "linux")])]));
        for (int i = 0; i < 100 && await _database.ScalarAsync<long>(
                 "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock';") == 0; i++)
            await Task.Delay(50);
        var lockRaw = Exec(other, "UPDATE raw_reports SET reports = reports WHERE app = 'app.a' AND metric = 'system.os';");
        await lockRaw; // granted once PostgreSQL has rolled the group back
        await tx.RollbackAsync();

        var outcome = Assert.Single(await append);
        Assert.Equal(AppendOutcomeKind.Stored, outcome.Kind);
        Assert.Equal(2, (await Store.ReadRawAsync("app.a")).Single().Reports);
        Assert.Equal(2, (await Store.ReadRollupsAsync("app.a")).Single().Reports);
        Assert.Equal(1L, await _database.ScalarAsync<long>("SELECT count(*) FROM idempotency_keys;"));
    }

    private static async Task Exec(Npgsql.NpgsqlConnection c, string sql)
    {
        await using var cmd = new Npgsql.NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    [PostgresFact]
    public async Task Reading_rollups_uses_the_primary_key_not_a_scan_of_raw_rows()
    {
        await Store.AppendGroupAsync([Request("app.a")]);
        await _database!.ExecAsync("ANALYZE;");
        var plan = await _database.ScalarAsync<string>(
            "EXPLAIN (FORMAT TEXT, COSTS OFF) SELECT * FROM rollups WHERE app = 'app.a' AND metric = 'system.os' ORDER BY period, value;");
        Assert.DoesNotContain("raw_reports", plan);
        // With sequential scans priced out, the planner must have an index that answers the read.
        var forced = await ExplainWithoutSeqScanAsync();
        Assert.Contains("rollups_pkey", forced);
    }

    private async Task<string> ExplainWithoutSeqScanAsync()
    {
        await using var c = new Npgsql.NpgsqlConnection(_database!.ConnectionString);
        await c.OpenAsync();
        await using (var off = new Npgsql.NpgsqlCommand("SET enable_seqscan = off;", c))
            await off.ExecuteNonQueryAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("EXPLAIN (COSTS OFF) SELECT * FROM rollups WHERE app = 'app.a' AND metric = 'system.os' ORDER BY period, value;", c);
        var lines = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) lines.Add(r.GetString(0));
        return string.Join("\n", lines);
    }
    [PostgresFact]
    public async Task Two_collectors_journaling_and_folding_at_once_count_every_report_exactly_once()
    {
        // Two collectors on one database, each journaling groups four at a time and folding every few rows,
        // with extra folds racing them: a row is added by exactly the fold that deletes it.
        await using var other = new PostgresReportStore(_database!.ConnectionString);
        await other.MigrateAsync();
        Store.Journal.MaxRows = other.Journal.MaxRows = 3;
        Store.Journal.MaxAge = other.Journal.MaxAge = TimeSpan.FromHours(1); // folds fall due by rows only: a slow machine must not fold by age mid-test
        var groups = JournalGroups("app.j", 80, seed: 5);
        IReportStore[] stores = [Store, other];
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (int g = w; g < groups.Count; g += 8)
                await stores[w % 2].AppendGroupAsync(groups[g], moreWaiting: true);
        }));
        var folders = stores.Select(s => Task.Run(async () =>
        {
            for (int i = 0; i < 10; i++)
                await s.FoldJournalAsync();
        }));
        await Task.WhenAll(writers.Concat(folders));
        Assert.True(Store.Journal.Appended + other.Journal.Appended > 0, "no group journaled: the race was not run");
        await Store.FoldJournalAsync();
        await other.FoldJournalAsync();

        Assert.Equal(0L, await _database.ScalarAsync<long>("SELECT count(*) FROM cell_journal;"));
        var reports = groups.SelectMany(g => g).Where(r => r.App == "app.j").SelectMany(r => r.Reports).ToList();
        var expected = reports.GroupBy(r => (r.Metric, r.Period, r.Value)).Select(g => (g.Key.Metric, g.Key.Period, g.Key.Value, (long)g.Count())).Order();
        Assert.Equal(expected, (await Store.ReadRawAsync("app.j")).Select(r => (r.Metric, r.Period, r.Value, r.Reports)).Order());
        long observations = reports.Sum(r => r.Histogram is { } h ? h.Sum(b => (long)b.Count) : 1);
        Assert.Equal(observations, (await Store.ReadRollupsAsync("app.j")).Sum(c => c.Total));
    }

    [PostgresFact]
    public async Task A_stopped_collectors_journal_rows_are_folded_by_another_collector()
    {
        var gone = new PostgresReportStore(_database!.ConnectionString);
        await gone.MigrateAsync();
        gone.Journal.MaxRows = 1000;
        gone.Journal.MaxAge = TimeSpan.FromHours(1); // folds fall due by rows only: a slow machine must not fold by age mid-test
        await gone.AppendGroupAsync([Request("app.a"), Request("app.a")], moreWaiting: true);
        await gone.DisposeAsync(); // no fold: as if killed

        Assert.Equal(1, await Store.FoldJournalAsync());
        Assert.All(await Store.ReadRawAsync("app.a"), r => Assert.Equal(2, r.Reports));
        Assert.Equal(0, await Store.FoldJournalAsync());
    }
    [PostgresFact]
    public async Task A_collector_whose_rows_another_folded_goes_on_journaling()
    {
        // Store's rows folded by the other collector: its own next fold finds fewer rows than it appended, and must
        // still count its journal as empty (counting only what it took left a fold due for ever: no group journaled).
        await using var other = new PostgresReportStore(_database!.ConnectionString);
        await other.MigrateAsync();
        Store.Journal.MaxRows = 3;
        Store.Journal.MaxAge = TimeSpan.FromHours(1); // folds fall due by rows only: a slow machine must not fold by age mid-test
        await Store.AppendGroupAsync([Request("app.a")], moreWaiting: true);
        await Store.AppendGroupAsync([Request("app.a")], moreWaiting: true);
        Assert.Equal(2, await other.FoldJournalAsync());
        await Store.AppendGroupAsync([Request("app.a")], moreWaiting: true); // the third row: a fold is due
        await Store.AppendGroupAsync([Request("app.a")]);                    // it takes one row

        Assert.Equal(0, Store.Journal.Rows);
        await Store.AppendGroupAsync([Request("app.a")], moreWaiting: true);
        Assert.Equal(4, Store.Journal.Appended);
        Assert.All(await Store.ReadRawAsync("app.a"), r => Assert.Equal(5, r.Reports));
    }
}
