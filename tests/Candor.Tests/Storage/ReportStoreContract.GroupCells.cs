using Candor.Collector.Storage;
using Candor.Protocol;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Storage;

/// <summary>
/// The group's cells are written many at a time (SQLite: multi-row upserts in chunks of up to 64 rows;
/// PostgreSQL: one statement per table): a chunk boundary, a cell repeated across the batches of a group
/// and equal names in distinct string instances must all come out as exact counts.
/// </summary>
public abstract partial class ReportStoreContract
{
    [StoreFact]
    public async Task A_group_larger_than_one_write_chunk_stores_every_cell_exactly()
    {
        // 10 batches of 15 distinct values and one cell every batch shares: 151 raw cells, two full chunks
        // of 64 and a remainder (23) that is not a power of two; the second group adds to every stored row.
        var group = Enumerable.Range(0, 10).Select(b => Request("app.a", reports:
            [.. Enumerable.Range(0, 15).Select(i => Report("m.many", $"v{b * 15 + i}")), Report("m.shared", "x")])).ToList();
        await Store.AppendGroupAsync(group);
        await Store.AppendGroupAsync(group);

        var raw = await Store.ReadRawAsync("app.a");
        Assert.Equal(151, raw.Count);
        Assert.All(raw.Where(r => r.Metric == "m.many"), r => Assert.Equal(2, r.Reports));
        Assert.Equal(20, raw.Single(r => r.Metric == "m.shared").Reports);
        var rollups = await Store.ReadRollupsAsync("app.a");
        Assert.Equal(151, rollups.Count);
        Assert.All(rollups.Where(r => r.Metric == "m.many"), r => Assert.Equal((2L, 2L), (r.Reports, r.Total)));
        Assert.Equal((20L, 20L), rollups.Where(r => r.Metric == "m.shared").Select(r => (r.Reports, r.Total)).Single());
    }

    [StoreFact]
    public async Task Groups_of_every_size_around_a_chunk_boundary_store_exact_counts()
    {
        int[] sizes = [1, 2, 3, 63, 64, 65, 127, 128, 129, 200];
        foreach (int n in sizes)
            await Store.AppendGroupAsync([Request($"app.n{n}", reports: [.. Enumerable.Range(0, n).Select(i => Report("m.a", $"{i}"))])]);
        foreach (int n in sizes)
        {
            var raw = await Store.ReadRawAsync($"app.n{n}");
            Assert.Equal(Enumerable.Range(0, n).Select(i => $"{i}").Order(StringComparer.Ordinal), raw.Select(r => r.Value).Order(StringComparer.Ordinal));
            Assert.All(raw, r => Assert.Equal(1, r.Reports));
            Assert.Equal(n, (await Store.ReadRollupsAsync($"app.n{n}")).Sum(c => c.Total));
        }
    }

    [StoreFact]
    public async Task Equal_names_in_distinct_string_instances_add_up_to_one_row()
    {
        // The in-memory sums compare names by reference, so these are two cells of one row in one group:
        // both engines must add them, not fail on a row touched twice nor keep the second alone.
        string metric = new([.. "m.twice"]), period = new([.. "2026-W47"]);
        var h1 = new ValidatedReport("m.hist", "2026-W47", """{"100":3}""", [new("100", 3)]);
        var h2 = new ValidatedReport(new([.. "m.hist"]), period, """{"100":3}""", [new("100", 2)]);
        await Store.AppendGroupAsync([
            Request("app.a", reports: [Report("m.twice", "1"), h1]),
            Request(new([.. "app.a"]), reports: [new ValidatedReport(metric, period, "1", null), h2])]);

        var raw = await Store.ReadRawAsync("app.a");
        Assert.Equal([("m.hist", 2L), ("m.twice", 2L)], raw.Select(r => (r.Metric, r.Reports)).OrderBy(r => r.Metric, StringComparer.Ordinal));
        var rollups = await Store.ReadRollupsAsync("app.a");
        Assert.Equal([("m.hist", 2L, 5L), ("m.twice", 2L, 2L)], rollups.Select(r => (r.Metric, r.Reports, r.Total)).OrderBy(r => r.Metric, StringComparer.Ordinal));
    }
}
