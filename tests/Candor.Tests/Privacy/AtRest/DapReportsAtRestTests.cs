using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Candor.Collector.Dap;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Postgres;
using Candor.Dap;
using Candor.Tests.Dap;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace Candor.Tests.Privacy.AtRest;

/// <summary>
/// Privacy invariant 9 for DAP, attacked: planted devices each upload several DAP reports back to back, through
/// the real Leader on Kestrel, among ordinary devices that upload one, at low load (one upload at a time) and at
/// high load (every device at once). One population's reports are aggregated as they come (the Leader runs a job
/// every few devices, as its timer would at low load), so they sit in the Helper's report ids; another's still
/// wait at the Leader. Every view of both aggregators' storage an attacker with the databases could take is
/// tested for planted devices' reports lying together (<see cref="PlacementTest"/>: permutation test, alpha
/// 0.01). After the key-order rewrite no view reveals them; without it, the same test finds them, so it can
/// fail. That the rewrite returns true on both aggregators, which only ever wrote DAP, also shows DAP writes
/// mark the store as written since its last rewrite (before, a DAP-only collector never rewrote).
/// </summary>
public sealed class DapReportsAtRestTests(ITestOutputHelper output)
{
    private static readonly JsonNode Count = new JsonObject { ["type"] = "count" };

    /// <summary>Devices between two aggregation jobs while the "aggregated" population uploads at low load.</summary>
    private const int DevicesPerJob = 4;

    [Fact]
    public Task After_the_rewrite_no_sqlite_view_places_a_devices_dap_reports_together_at_low_load() => RunAsync(postgres: false, highLoad: false, rewrite: true);

    [Fact]
    public Task After_the_rewrite_no_sqlite_view_places_a_devices_dap_reports_together_at_high_load() => RunAsync(postgres: false, highLoad: true, rewrite: true);

    [Fact]
    public Task Without_the_rewrite_the_sqlite_file_order_gives_a_devices_dap_reports_away() => RunAsync(postgres: false, highLoad: false, rewrite: false);

    [PostgresFact]
    public Task After_the_rewrite_no_postgres_view_places_a_devices_dap_reports_together_at_low_load() => RunAsync(postgres: true, highLoad: false, rewrite: true);

    [PostgresFact]
    public Task After_the_rewrite_no_postgres_view_places_a_devices_dap_reports_together_at_high_load() => RunAsync(postgres: true, highLoad: true, rewrite: true);

    [PostgresFact]
    public Task Without_the_rewrite_postgres_dumps_ctid_and_xmin_give_a_devices_dap_reports_away() => RunAsync(postgres: true, highLoad: false, rewrite: false);

    /// <summary>One table of one aggregator, and the population whose planted devices are looked for in it.</summary>
    private sealed record Place(string Name, CollectorHost Host, string Table, DapDevicePopulation Population);

    private async Task RunAsync(bool postgres, bool highLoad, bool rewrite)
    {
        var aggregated = new DapDevicePopulation(seed: 2611);
        var waiting = new DapDevicePopulation(seed: 2612);
        await using var pair = await DapAggregators.StartAsync(Count, minBatchSize: 1, postgres, bothOptions: o =>
        {
            o.RewriteIntervalSeconds = 86400; // only the start-up rewrite; the test decides when the next one runs
            o.DapAggregationIntervalSeconds = 86400; // the test runs the Leader's aggregation jobs itself
        });
        await StartUpRewrite.AwaitAsync(pair.Leader);
        await StartUpRewrite.AwaitAsync(pair.Helper);
        using var http = new HttpClient();
        var client = pair.Client(http);
        await client.FetchConfigurationsAsync();
        var leader = pair.Leader.App.Services.GetRequiredService<DapLeader>();

        await UploadAsync(aggregated, client, pair.Now, highLoad, () => leader.AggregateAsync(pair.LeaderTask, CancellationToken.None));
        // PostgreSQL fills one heap page per server process: the aggregation jobs left the Leader several pooled
        // connections, taken in turn, so consecutive uploads would land in as many pages at once, a page apart in
        // heap order. A Leader at low load has one, once its idle connections are pruned (5 minutes by default).
        if (pair.Leader.Store is PostgresReportStore leaderStore)
            leaderStore.DataSource.Clear();
        await UploadAsync(waiting, client, pair.Now, highLoad, aggregate: null);
        Assert.Equal(waiting.ReportCount, await pair.LeaderStore.PendingCountAsync(pair.LeaderTask.Id));
        Assert.Equal(aggregated.ReportCount, await pair.HelperStore.ReportIdCountAsync(pair.LeaderTask.Id));
        if (rewrite)
        {
            Assert.True(await pair.Leader.Store.RewriteInKeyOrderAsync(), "the Leader's DAP writes did not mark its store for the rewrite");
            Assert.True(await pair.Helper.Store.RewriteInKeyOrderAsync(), "the Helper's DAP writes did not mark its store for the rewrite");
        }

        Place[] places =
        [
            new("Leader dap_reports", pair.Leader, "dap_reports", waiting),
            new("Leader dap_report_ids", pair.Leader, "dap_report_ids", waiting),
            new("Helper dap_report_ids", pair.Helper, "dap_report_ids", aggregated),
        ];
        var views = postgres ? await PostgresViewsAsync(places) : SqliteViews(places);
        foreach (var (view, p) in views)
            output.WriteLine($"{view}: p = {p:0.000}");
        if (rewrite)
            Assert.All(views, v => Assert.True(v.Value >= PlacementTest.Alpha, $"{v.Key}: p = {v.Value}"));
        else if (postgres)
            foreach (var view in new[] { "SELECT without ORDER BY", "ctid order", "xmin", "pg_dump --data-only" })
                foreach (var place in places)
                    Assert.True(views[$"{place.Name}: {view}"] < PlacementTest.Alpha, $"the test no longer detects upload order in {place.Name}: {view}");
        else
            // SQLite: every aggregator's WAL must give its planted devices away, in at least one of its tables. Not
            // every table every time: an automatic checkpoint that restarts the log in the middle of a population's
            // uploads overwrites the first frames of that population, and a small table whose pages every commit
            // rewrites (the Leader's dap_report_ids) then shows most of its reports first in a later commit's frame
            // (one CI run: p = 0.086 there, 0.001 in the Leader's dap_reports and the Helper's table).
            foreach (var aggregator in places.GroupBy(p => p.Host))
                Assert.True(aggregator.Min(place => views[$"{place.Name}: {LiveCopy}"]) < PlacementTest.Alpha,
                    $"the test no longer detects upload order in any table of {aggregator.First().Name.Split(' ')[0]}'s WAL");
    }

    /// <summary>
    /// The SQLite view the positive control must find the planted devices in. Not the file alone: the DAP tables are
    /// WITHOUT ROWID and keyed by the random report id, so once checkpointed a report's page already follows its
    /// key (measured: no view of the file alone finds the planted devices, p &gt; 0.2). The write-ahead log does:
    /// its frames are the commits in upload order, until a checkpoint empties it, which the rewrite does.
    /// </summary>
    private const string LiveCopy = "byte offset in the WAL in commit order, then the file (a copy of a running aggregator)";

    /// <summary>
    /// Each device uploads its reports back to back. Low load: one device after another, and, when
    /// <paramref name="aggregate"/> is given, an aggregation job every <see cref="DevicesPerJob"/> devices.
    /// High load: every device at once, with aggregation jobs running all along.
    /// </summary>
    private static async Task UploadAsync(DapDevicePopulation population, DapUploadClient client, ulong now, bool highLoad, Func<Task<int>>? aggregate)
    {
        var reports = population.Devices.Select(d => d.Reports.Select(r => client.Generate(r.Measurement, now, r.Id)).ToArray()).ToArray();
        if (!highLoad)
        {
            for (int d = 0; d < reports.Length; d++)
            {
                foreach (var report in reports[d])
                    await client.UploadAsync(report);
                if (aggregate is not null && (d + 1) % DevicesPerJob == 0)
                    await aggregate();
            }
        }
        else
        {
            var uploads = Task.WhenAll(reports.Select(device => Task.Run(async () =>
            {
                foreach (var report in device)
                    await client.UploadAsync(report);
            })));
            while (aggregate is not null && !uploads.IsCompleted)
            {
                await aggregate();
                await Task.Delay(5);
            }
            await uploads;
        }
        if (aggregate is not null)
            await aggregate();
    }

    private static async Task<Dictionary<string, double>> PostgresViewsAsync(Place[] places)
    {
        var views = new Dictionary<string, double>();
        var dumps = new Dictionary<CollectorHost, string>();
        foreach (var place in places)
        {
            var database = place.Host.Options.Database!;
            if (!dumps.TryGetValue(place.Host, out var dump))
                dumps[place.Host] = dump = await PlantedInstallationsTests.PgDumpAsync(database);
            var table = place.Table;
            views[$"{place.Name}: SELECT without ORDER BY"] = PlacementTest.PValue(place.Population.Positions(await PostgresViewAsync(database, $"SELECT encode(report, 'hex'), 0 FROM {table}")));
            views[$"{place.Name}: ctid order"] = PlacementTest.PValue(place.Population.Positions(await PostgresViewAsync(database, $"SELECT encode(report, 'hex'), 0 FROM {table} ORDER BY ctid")));
            views[$"{place.Name}: xmin"] = PlacementTest.PValue(place.Population.Positions(await PostgresViewAsync(database, $"SELECT encode(report, 'hex'), xmin::text::bigint FROM {table}", usePosition: true)));
            views[$"{place.Name}: pg_dump --data-only"] = PlacementTest.PValue(place.Population.Positions(DumpOrder(dump, table)));
        }
        return views;
    }

    private static async Task<List<(string, double)>> PostgresViewAsync(string connectionString, string sql, bool usePosition = false)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<(string, double)>();
        while (await r.ReadAsync())
            list.Add((r.GetString(0), usePosition ? Convert.ToDouble(r.GetValue(1)) : list.Count));
        return list;
    }

    /// <summary>The report ids of <paramref name="table"/> in the order pg_dump wrote its rows (report is the second column; bytea as <c>\\x</c> hex).</summary>
    private static List<(string, double)> DumpOrder(string dump, string table)
    {
        var list = new List<(string, double)>();
        foreach (var columns in PlantedInstallationsTests.DumpRows(dump, table))
            list.Add((columns[1][(columns[1].IndexOf('x') + 1)..], list.Count));
        return list;
    }

    private static Dictionary<string, double> SqliteViews(Place[] places)
    {
        var views = new Dictionary<string, double>();
        foreach (var place in places)
        {
            var path = place.Host.DatabasePath;
            views[$"{place.Name}: SELECT without ORDER BY"] = PlacementTest.PValue(place.Population.Positions(SqliteSelect(path, place.Table)));
            views[$"{place.Name}: {LiveCopy}"] = PlacementTest.PValue(place.Population.Positions(SqliteFileOffsets(path, place.Table, place.Population)));
        }
        return views;
    }

    private static List<(string, double)> SqliteSelect(string path, string table)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT hex(report) FROM {table};";
        using var r = cmd.ExecuteReader();
        var list = new List<(string, double)>();
        while (r.Read())
            list.Add((r.GetString(0).ToLowerInvariant(), list.Count));
        return list;
    }

    /// <summary>
    /// Where each report's record first lies in a copy of the write-ahead log and the database file, as a forensic
    /// reader of both would find it: the WAL's frames in commit order (an older generation's frames, left past
    /// the end of a log a checkpoint restarted, first: its salt is one lower), then the file. A record is the
    /// report's id right after the 32-byte task id, the record header before them telling the table: a header of
    /// 4 bytes (3 columns) is dap_report_ids, a longer one (6 columns) dap_reports; both start with the serial
    /// types of a 32-byte and a 16-byte blob (76, 44).
    /// </summary>
    private static List<(string, double)> SqliteFileOffsets(string path, string table, DapDevicePopulation population)
    {
        var wal = RawFiles.Read(path + "-wal");
        var file = RawFiles.Read(path);
        var frames = new List<(uint Salt, int Index, byte[] Page)>();
        if (wal.Length >= 32)
        {
            int pageSize = (int)BinaryPrimitives.ReadUInt32BigEndian(wal.AsSpan(8));
            for (int at = 32, index = 0; at + 24 + pageSize <= wal.Length; at += 24 + pageSize, index++)
                frames.Add((BinaryPrimitives.ReadUInt32BigEndian(wal.AsSpan(at + 16)), index, wal.AsSpan(at + 24, pageSize).ToArray()));
        }
        // Positions: the frames' bytes in commit order, then the file's.
        var ordered = frames.OrderBy(f => f.Salt).ThenBy(f => f.Index).SelectMany(f => f.Page).Concat(file).ToArray();
        var list = new List<(string, double)>();
        foreach (var report in population.Devices.SelectMany(d => d.Reports))
        {
            int from = 0, at;
            while ((at = ordered.AsSpan(from).IndexOf(report.Id)) >= 0)
            {
                int o = from + at;
                from = o + 1;
                for (int header = 4; header <= 12 && o - 32 - header >= 0; header++)
                {
                    int start = o - 32 - header;
                    if (ordered[start] == header && ordered[start + 1] == 76 && ordered[start + 2] == 44 && (header == 4) == (table == "dap_report_ids"))
                        list.Add((Convert.ToHexStringLower(report.Id), o));
                }
            }
        }
        return list;
    }
}
