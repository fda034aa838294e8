using System.Net;
using System.Text.Json.Nodes;
using Candor.Collector.Hosting;
using Candor.Collector.Storage;
using Candor.Tests.Infrastructure;
using Candor.Tests.Transparency;
using Candor.Transparency;
using Microsoft.Data.Sqlite;
using Npgsql;
using Xunit.Abstractions;

namespace Candor.Tests.Privacy.AtRest;

/// <summary>
/// Privacy invariant 9 for the transparency log's private half: the commitments the collector holds
/// (one row per report, with its metric and value) and the pending set waiting for the next epoch.
/// Planted installations send committed reports; every view an attacker with the database could take
/// of those two tables (unordered SELECT, SQLite byte offsets, PostgreSQL ctid, xmin and pg_dump order)
/// is tested for planted installations' rows sitting together (<see cref="PlacementTest"/>). After the
/// key-order rewrite none does; on PostgreSQL, without it, the heap's arrival order gives them away.
/// </summary>
public sealed class PlantedCommitmentsTests(ITestOutputHelper output)
{
    [Fact]
    public Task After_the_rewrite_no_sqlite_view_of_commitments_or_pending_entries_places_an_installation_together_at_low_load() => SqliteAsync(highLoad: false);

    [Fact]
    public Task After_the_rewrite_no_sqlite_view_of_commitments_or_pending_entries_places_an_installation_together_at_high_load() => SqliteAsync(highLoad: true);

    [PostgresFact]
    public Task After_the_rewrite_no_postgres_view_of_commitments_or_pending_entries_places_an_installation_together() => PostgresAsync(rewrite: true);

    [PostgresFact]
    public Task Without_the_rewrite_postgres_keeps_commitments_in_arrival_order() => PostgresAsync(rewrite: false);

    private async Task SqliteAsync(bool highLoad)
    {
        var population = new PlantedPopulation();
        await using var host = await StartAsync(null);
        var cells = await SendAsync(host, population, highLoad);
        Assert.True(await host.Store.RewriteInKeyOrderAsync());

        // Pending (SQLite keeps a pending report in its entry), then after the epoch is sealed (in commitments).
        var views = new Dictionary<string, double>();
        using (var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = host.DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()))
        {
            c.Open();
            views["log_pending: SELECT without ORDER BY"] = P(population, cells, Rows(c, "SELECT entry FROM log_pending;", 1));
        }
        views["log_pending: byte offset in the file"] = P(population, cells, FileOffsets(host.DatabasePath, cells.Keys).Pending);
        Assert.NotNull(await LogKit.SealAsync(host));
        Assert.True(await host.Store.RewriteInKeyOrderAsync());
        using (var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = host.DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()))
        {
            c.Open();
            views["commitments: SELECT without ORDER BY"] = P(population, cells, Rows(c, "SELECT commitment FROM commitments;", 0));
        }
        views["commitments: byte offset in the file"] = P(population, cells, FileOffsets(host.DatabasePath, cells.Keys).Commitments);
        Report(views);
        Assert.All(views, v => Assert.True(v.Value >= PlacementTest.Alpha, $"{v.Key}: p = {v.Value}"));
    }

    private async Task PostgresAsync(bool rewrite)
    {
        var population = new PlantedPopulation();
        await using var database = await TestDatabase.CreateAsync();
        await using var host = await StartAsync(database.ConnectionString);
        var cells = await SendAsync(host, population, highLoad: false);
        if (rewrite)
            Assert.True(await host.Store.RewriteInKeyOrderAsync());

        var views = new Dictionary<string, double>();
        var dump = await PlantedInstallationsTests.PgDumpAsync(database.ConnectionString);
        foreach (var (table, column, skip) in new[] { ("commitments", "commitment", 0), ("log_pending", "entry", 1) })
        {
            views[$"{table}: SELECT without ORDER BY"] = P(population, cells, await PostgresRowsAsync(database, $"SELECT {column}, 0 FROM {table}", skip));
            views[$"{table}: ctid order"] = P(population, cells, await PostgresRowsAsync(database, $"SELECT {column}, 0 FROM {table} ORDER BY ctid", skip));
            views[$"{table}: xmin"] = P(population, cells, await PostgresRowsAsync(database, $"SELECT {column}, xmin::text::bigint FROM {table}", skip, usePosition: true));
            views[$"{table}: pg_dump --data-only"] = P(population, cells, DumpOrder(dump, table, skip));
        }
        Report(views);
        if (rewrite)
            Assert.All(views, v => Assert.True(v.Value >= PlacementTest.Alpha, $"{v.Key}: p = {v.Value}"));
        else
            foreach (var view in new[] { "SELECT without ORDER BY", "ctid order", "pg_dump --data-only" })
                Assert.True(views[$"commitments: {view}"] < PlacementTest.Alpha, $"the test no longer detects arrival order in commitments: {view}");
    }

    private static async Task<CollectorHost> StartAsync(string? postgres)
    {
        var host = await PlantedHost.StartAsync(o =>
        {
            o.RewriteIntervalSeconds = 86400; // only the start-up rewrite; the test decides when the next one runs
            if (postgres is not null)
                o.Database = postgres;
        });
        await StartUpRewrite.AwaitAsync(host);
        return host;
    }

    /// <summary>Sends every batch with a commitment per report; returns commitment (hex) -> (metric, value) of the planted cells.</summary>
    private static async Task<Dictionary<string, (string Metric, string Value)>> SendAsync(CollectorHost host, PlantedPopulation population, bool highLoad)
    {
        var rare = new HashSet<(string, string)>();
        for (int i = 0; i < PlantedPopulation.Planted; i++)
            for (int m = 0; m < PlantedPopulation.Metrics; m++)
                rare.Add((PlantedPopulation.Metric(m), population.RareValues[i][m]));
        var cells = new Dictionary<string, (string, string)>();
        var bodies = new List<string>();
        // Nonces from a fixed seed: key order is then the same in every run, so the verdict is reproducible
        // (as PlantedInstallationsTests'); with CSPRNG nonces one run in a hundred would fail by chance.
        var random = new Random(47);
        foreach (var batch in population.Batches)
        {
            var json = JsonNode.Parse(batch)!;
            foreach (var report in json["reports"]!.AsArray())
            {
                var cell = (report!["metric"]!.GetValue<string>(), report["value"]!.GetValue<string>());
                var nonce = new byte[ReportCommitment.NonceSize];
                random.NextBytes(nonce);
                var commitment = ReportCommitment.Compute(nonce, PlantedPopulation.App, cell.Item1, PlantedPopulation.Week, cell.Item2);
                report["commitment"] = ReportCommitment.Encode(commitment);
                if (rare.Contains(cell))
                    cells[Convert.ToHexString(commitment)] = cell;
            }
            bodies.Add(json.ToJsonString());
        }
        var answers = highLoad
            ? await Task.WhenAll(bodies.Select(b => Task.Run(() => host.PostAsync(b, PlantedPopulation.App))))
            : await SequentialAsync(host, bodies);
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Accepted, a.StatusCode));
        return cells;
    }

    private static async Task<HttpResponseMessage[]> SequentialAsync(CollectorHost host, List<string> bodies)
    {
        var answers = new List<HttpResponseMessage>();
        foreach (var b in bodies)
            answers.Add(await host.PostAsync(b, PlantedPopulation.App));
        return [.. answers];
    }

    private static double P(PlantedPopulation population, Dictionary<string, (string Metric, string Value)> cells, IEnumerable<(string Hex, double Position)> rows) =>
        PlacementTest.PValue(population.Positions(rows.Where(r => cells.ContainsKey(r.Hex)).Select(r => (cells[r.Hex].Metric, cells[r.Hex].Value, r.Position))));

    private static List<(string, double)> Rows(SqliteConnection c, string sql, int skip)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var list = new List<(string, double)>();
        while (r.Read())
            list.Add((Convert.ToHexString(((byte[])r.GetValue(0))[skip..]), list.Count));
        return list;
    }

    /// <summary>
    /// Where each planted commitment lies in the file, in an index b-tree page (WITHOUT ROWID tables are
    /// index b-trees: a key is in a leaf, 0x0A, or once in an interior page, 0x02): in log_pending the commitment follows the entry's kind byte 0x00; in
    /// commitments it is the record's first column, right after the record header.
    /// </summary>
    private static (List<(string, double)> Commitments, List<(string, double)> Pending) FileOffsets(string path, IEnumerable<string> planted)
    {
        var bytes = File.ReadAllBytes(path);
        int pageSize = (bytes[16] << 8) | bytes[17];
        var commitments = new List<(string, double)>();
        var pending = new List<(string, double)>();
        foreach (var hex in planted)
        {
            var needle = Convert.FromHexString(hex);
            int from = 0, at;
            bool seenRow = false, seenEntry = false;
            while ((at = bytes.AsSpan(from).IndexOf(needle)) >= 0)
            {
                int o = from + at;
                from = o + 1;
                int page = o / pageSize * pageSize;
                if (bytes[page + (page == 0 ? 100 : 0)] is not (0x0A or 0x02))
                    continue;
                if (bytes[o - 1] == 0x00 && !seenEntry)
                {
                    pending.Add((hex, o));
                    seenEntry = true;
                }
                else if (bytes[o - 1] != 0x00 && !seenRow)
                {
                    commitments.Add((hex, o));
                    seenRow = true;
                }
            }
        }
        return (commitments, pending);
    }

    private static async Task<List<(string, double)>> PostgresRowsAsync(TestDatabase database, string sql, int skip, bool usePosition = false)
    {
        await using var c = new NpgsqlConnection(database.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<(string, double)>();
        while (await r.ReadAsync())
            list.Add((Convert.ToHexString(((byte[])r.GetValue(0))[skip..]), usePosition ? Convert.ToDouble(r.GetValue(1)) : list.Count));
        return list;
    }

    /// <summary>The first column (bytea, <c>\x</c> hex in a dump) of <paramref name="table"/>'s rows, in the order pg_dump wrote them.</summary>
    private static List<(string, double)> DumpOrder(string dump, string table, int skip)
    {
        var list = new List<(string, double)>();
        foreach (var columns in PlantedInstallationsTests.DumpRows(dump, table))
            list.Add((columns[0][3..].ToUpperInvariant()[(2 * skip)..], list.Count));
        return list;
    }

    private void Report(Dictionary<string, double> views)
    {
        foreach (var (view, p) in views)
            output.WriteLine($"{view}: p = {p:0.000}");
    }
}
