using System.Security.Cryptography;
using Candor.Collector.Storage;
using Candor.Collector.Transparency;
using Candor.Protocol;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Storage;

/// <summary>
/// The cell journal (Storage/CellJournal.cs): under load a group appends its summed cells as one row, and a
/// fold adds the rows to raw_reports and rollups. Whatever the path, the tables must end exactly as direct
/// writes leave them; a crash before the fold loses nothing and counts nothing twice; a row that cannot be
/// read is never skipped; deletion and retention see reports that are still only in the journal.
/// </summary>
public abstract partial class ReportStoreContract
{
    /// <summary>Groups of a fixed pseudo-random shape: apps, metrics, periods and values that repeat across groups, and histograms.</summary>
    private protected static List<List<AppendRequest>> JournalGroups(string app, int groups, int seed)
    {
        var random = new Random(seed);
        string[] periods = ["2026-W45", "2026-W46", "2026-W47", "2026-11-20"];
        return [.. Enumerable.Range(0, groups).Select(_ => Enumerable.Range(0, random.Next(1, 6)).Select(_ =>
            Request(random.Next(3) == 0 ? app + ".b" : app, reports: [.. Enumerable.Range(0, random.Next(1, 17)).Select(_ => random.Next(5) == 0
                ? new ValidatedReport("startup.ms", periods[random.Next(periods.Length)], "h", [new("100", random.Next(0, 4)), new("250", random.Next(1, 9))])
                : Report($"m.{random.Next(4)}", $"v{random.Next(random.Next(2) == 0 ? 3 : 40)}", periods[random.Next(periods.Length)]))])).ToList())];
    }

    /// <summary>Both tables of one app, as comparable rows (the app's name left out).</summary>
    private async Task<(List<(string, string, string, long)> Raw, List<(string, string, string, long, long)> Rollups)> TablesAsync(string app) =>
        ([.. (await Store.ReadRawAsync(app)).Select(r => (r.Metric, r.Period, r.Value, r.Reports))],
         [.. (await Store.ReadRollupsAsync(app)).Select(r => (r.Metric, r.Period, r.Value, r.Reports, r.Total))]);

    private static List<AppendRequest> Renamed(List<AppendRequest> group, string from, string to) =>
        [.. group.Select(r => r with { App = r.App.Replace(from, to, StringComparison.Ordinal) })];

    [StoreFact]
    public async Task Journaled_groups_then_a_fold_leave_exactly_the_tables_that_direct_writes_leave()
    {
        Store.Journal.MaxRows = 1000;
        Store.Journal.MaxAge = TimeSpan.FromHours(1); // folds fall due by rows only: a slow machine must not fold by age mid-test
        var groups = JournalGroups("app.j", 40, seed: 7);
        foreach (var group in groups)
            await Store.AppendGroupAsync(Renamed(group, "app.j", "app.d")); // nothing waiting: cells written
        foreach (var group in groups)
            await Store.AppendGroupAsync(group, moreWaiting: true);         // load: one journal row each
        Assert.Equal(40L, await CountAsync("SELECT count(*) FROM cell_journal"));
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM raw_reports WHERE app = 'app.j'"));

        Assert.Equal(40, await Store.FoldJournalAsync());

        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM cell_journal"));
        foreach (var suffix in new[] { "", ".b" })
        {
            var (raw, rollups) = await TablesAsync("app.j" + suffix);
            var direct = await TablesAsync("app.d" + suffix);
            Assert.NotEmpty(raw);
            Assert.Equal(direct.Raw, raw);
            Assert.Equal(direct.Rollups, rollups);
        }
        // And both agree with the reports themselves, counted here.
        var expected = groups.SelectMany(g => g).Where(r => r.App == "app.j").SelectMany(r => r.Reports)
            .GroupBy(r => (r.Metric, r.Period, r.Value)).ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(expected.OrderBy(e => e.Key).Select(e => (e.Key.Metric, e.Key.Period, e.Key.Value, e.Value)),
            (await TablesAsync("app.j")).Raw.OrderBy(r => r));
    }

    [StoreFact]
    public async Task A_group_with_nothing_waiting_writes_its_cells_and_folds_the_journal_only_when_a_fold_is_due()
    {
        Store.Journal.MaxRows = 3;
        Store.Journal.MaxAge = TimeSpan.FromHours(1); // folds fall due by rows only: a slow machine must not fold by age mid-test
        await Store.AppendGroupAsync([Request("app.a")], moreWaiting: true);
        await Store.AppendGroupAsync([Request("app.a")], moreWaiting: true);

        await Store.AppendGroupAsync([Request("app.a")]); // its own cells, the two rows left to their fold
        Assert.Equal(2L, await CountAsync("SELECT count(*) FROM cell_journal"));
        Assert.Equal(1L, await CountAsync("SELECT max(reports) FROM raw_reports"));

        await Store.AppendGroupAsync([Request("app.a")], moreWaiting: true); // the third row: a fold is due
        await Store.AppendGroupAsync([Request("app.a")]);                    // writes its cells and folds, in one transaction
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM cell_journal"));
        Assert.Equal(5L, await CountAsync("SELECT min(reports) FROM raw_reports"));
        Assert.Equal(0, Store.Journal.Rows);
    }

    [StoreFact]
    public async Task Under_load_the_group_after_CellJournalRows_rows_folds_them_with_its_own_cells()
    {
        Store.Journal.MaxRows = 3;
        Store.Journal.MaxAge = TimeSpan.FromHours(1); // folds fall due by rows only: a slow machine must not fold by age mid-test
        for (int i = 0; i < 3; i++)
            await Store.AppendGroupAsync([Request("app.a")], moreWaiting: true);
        Assert.Equal(3L, await CountAsync("SELECT count(*) FROM cell_journal"));

        await Store.AppendGroupAsync([Request("app.a")], moreWaiting: true);

        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM cell_journal"));
        Assert.All(await Store.ReadRawAsync("app.a"), r => Assert.Equal(4, r.Reports));
        Assert.Equal((3L, 1L), (Store.Journal.Appended, Store.Journal.Folds));
    }

    [StoreFact]
    public async Task With_CellJournalRows_zero_no_group_journals()
    {
        Store.Journal.MaxRows = 0;
        await Store.AppendGroupAsync([Request("app.a")], moreWaiting: true);
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM cell_journal"));
        Assert.All(await Store.ReadRawAsync("app.a"), r => Assert.Equal(1, r.Reports));
    }

    [StoreFact]
    public async Task Journaled_cells_survive_a_crash_before_their_fold_and_are_counted_once()
    {
        Store.Journal.MaxRows = 1000;
        Store.Journal.MaxAge = TimeSpan.FromHours(1); // folds fall due by rows only: a slow machine must not fold by age mid-test
        var groups = JournalGroups("app.j", 12, seed: 11);
        foreach (var group in groups)
            await Store.AppendGroupAsync(group, moreWaiting: true);
        // Gone without its shutdown fold (the ingest queue's), as after a kill: only the committed rows remain.
        await Store.DisposeAsync();
        Assert.Equal(12L, await CountAsync("SELECT count(*) FROM cell_journal"));

        Store = ReopenStore();
        await Store.MigrateAsync(); // start-up folds
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM cell_journal"));
        var expected = groups.SelectMany(g => g).Where(r => r.App == "app.j").SelectMany(r => r.Reports).Count();
        Assert.Equal(expected, (await Store.ReadRawAsync("app.j")).Sum(r => r.Reports));

        await Store.DisposeAsync();
        Store = ReopenStore();
        await Store.MigrateAsync(); // a second start finds nothing to fold: nothing counted twice
        Assert.Equal(expected, (await Store.ReadRawAsync("app.j")).Sum(r => r.Reports));
    }

    [StoreFact]
    public async Task A_group_whose_fold_meets_an_unreadable_row_is_still_stored_and_the_rows_stay()
    {
        Store.Journal.MaxRows = 1;
        await Store.AppendGroupAsync([Request("app.a")], moreWaiting: true); // journaled: a fold is due after it
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM cell_journal"));
        await CountAsync(Store.Engine == "sqlite"
            ? "INSERT INTO cell_journal (delta) VALUES (x'0102FF') RETURNING id"
            : @"INSERT INTO cell_journal (delta) VALUES ('\x0102FF'::bytea) RETURNING id");

        // This group folds in-line and meets the bad row: the fold is rolled back, the group is stored with its own cells.
        var outcomes = await Store.AppendGroupAsync([Request("app.b")], moreWaiting: true);
        Assert.Equal(AppendOutcomeKind.Stored, Assert.Single(outcomes).Kind);
        Assert.Equal(2L, await CountAsync("SELECT count(*) FROM cell_journal"));
        long stored = await CountAsync("SELECT CAST(coalesce(sum(reports), 0) AS BIGINT) FROM raw_reports WHERE app = 'app.b'");
        Assert.True(stored > 0, "the group's own cells were not written");

        // Later groups under load neither journal nor retry the fold in-line: their cells go straight to the tables.
        await Store.AppendGroupAsync([Request("app.b")], moreWaiting: true);
        Assert.Equal(2L, await CountAsync("SELECT count(*) FROM cell_journal"));
        Assert.Equal(2 * stored, await CountAsync("SELECT CAST(coalesce(sum(reports), 0) AS BIGINT) FROM raw_reports WHERE app = 'app.b'"));
        Assert.Equal(0L, await CountAsync("SELECT CAST(coalesce(sum(reports), 0) AS BIGINT) FROM raw_reports WHERE app = 'app.a'")); // still in its row, not lost
    }

    [StoreFact]
    public async Task A_journal_row_that_cannot_be_read_stops_the_start_with_its_id_and_drops_nothing()
    {
        Store.Journal.MaxRows = 1000;
        Store.Journal.MaxAge = TimeSpan.FromHours(1); // folds fall due by rows only: a slow machine must not fold by age mid-test
        await Store.AppendGroupAsync([Request("app.a")], moreWaiting: true);
        long bad = await CountAsync(Store.Engine == "sqlite"
            ? "INSERT INTO cell_journal (delta) VALUES (x'0102FF') RETURNING id"
            : @"INSERT INTO cell_journal (delta) VALUES ('\x0102FF'::bytea) RETURNING id");

        // The running store refuses to fold rather than skip the row; nothing of the good row is written either.
        var fold = await Assert.ThrowsAsync<CellJournalCorruptException>(() => Store.FoldJournalAsync());
        Assert.Equal(bad, fold.RowId);
        Assert.Equal(2L, await CountAsync("SELECT count(*) FROM cell_journal"));
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM raw_reports"));
        await Assert.ThrowsAsync<CellJournalCorruptException>(() => Store.ReadRawAsync("app.a")); // a read says so too, rather than show less

        await Store.DisposeAsync();
        Store = ReopenStore();
        var start = await Assert.ThrowsAsync<StoreSchemaException>(() => Store.MigrateAsync());
        Assert.Contains($"cell_journal row {bad} cannot be read", start.Message);
        Assert.Contains($"DELETE FROM cell_journal WHERE id = {bad}", start.Message);
        Assert.Equal(2L, await CountAsync("SELECT count(*) FROM cell_journal"));

        // The operator's way out, as the message says: only that row's reports are given up.
        await CountAsync($"DELETE FROM cell_journal WHERE id = {bad} RETURNING id");
        await Store.DisposeAsync();
        Store = ReopenStore();
        await Store.MigrateAsync();
        Assert.All(await Store.ReadRawAsync("app.a"), r => Assert.Equal(1, r.Reports));
    }

    [StoreFact]
    public async Task Deletion_by_receipt_takes_off_a_report_that_is_still_only_in_the_journal()
    {
        Store.Journal.MaxRows = 1000;
        Store.Journal.MaxAge = TimeSpan.FromHours(1); // folds fall due by rows only: a slow machine must not fold by age mid-test
        var commitment = SHA256.HashData([42, 0xC0]);
        await Store.AppendGroupAsync([Request("app.a", reports: [new ValidatedReport("system.os", "2026-W47", "linux", null, commitment), Report("m.a", "1")])], moreWaiting: true);
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM cell_journal"));

        var statuses = await Store.DeleteByReceiptAsync("app.a", [new DeletionReceipt(commitment, "system.os", "2026-W47", "linux")]);

        Assert.Equal([DeletionStatus.Deleted], statuses);
        Assert.Equal([("m.a", "1", 1L)], (await Store.ReadRawAsync("app.a")).Select(r => (r.Metric, r.Value, r.Reports)));
        Assert.Equal(["m.a"], (await Store.ReadRollupsAsync("app.a")).Select(r => r.Metric));
    }

    [StoreFact]
    public async Task Retention_purges_a_report_that_is_still_only_in_the_journal()
    {
        Store.Journal.MaxRows = 1000;
        Store.Journal.MaxAge = TimeSpan.FromHours(1); // folds fall due by rows only: a slow machine must not fold by age mid-test
        await Store.AppendGroupAsync([Request("app.a", reports: [Report("m.a", "1", "2026-W46"), Report("m.a", "1", "2026-W48")])], moreWaiting: true);

        var purge = await Store.PurgeRawAsync("app.a", new DateOnly(2026, 11, 23), Today);

        Assert.Equal((1L, 1L), (purge.RawRows, purge.Reports));
        Assert.Equal(["2026-W48"], (await Store.ReadRawAsync("app.a")).Select(r => r.Period));
        Assert.Equal(2, (await Store.ReadRollupsAsync("app.a")).Count); // rollups stay
    }

    [StoreFact]
    public async Task A_release_reads_the_rollups_of_reports_still_in_the_journal()
    {
        Store.Journal.MaxRows = 1000;
        Store.Journal.MaxAge = TimeSpan.FromHours(1); // folds fall due by rows only: a slow machine must not fold by age mid-test
        await Store.AppendGroupAsync([Request("app.a", reports: [Report("m.a", "1")])], moreWaiting: true);
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM rollups"));

        var cells = await Store.ReadRollupsAsync("app.a", "m.a", "2026-W47", "2026-W47"); // what a release freezes
        Assert.Equal([(1L, 1L)], cells.Select(c => (c.Reports, c.Total)));
    }

    [StoreFact]
    public async Task Reads_of_cells_fold_the_rows_this_store_journaled_first()
    {
        Store.Journal.MaxRows = 1000;
        Store.Journal.MaxAge = TimeSpan.FromHours(1); // folds fall due by rows only: a slow machine must not fold by age mid-test
        await Store.AppendGroupAsync([Request("app.a")], moreWaiting: true);
        Assert.All(await Store.ReadRawAsync("app.a"), r => Assert.Equal(1, r.Reports));
        await Store.AppendGroupAsync([Request("app.a")], moreWaiting: true);
        Assert.All(await Store.ReadRollupsAsync("app.a"), c => Assert.Equal(2, c.Reports));
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM cell_journal"));
    }
}
