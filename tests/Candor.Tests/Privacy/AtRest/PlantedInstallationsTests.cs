using System.Diagnostics;
using System.Net;
using System.Text;
using Candor.Collector.Hosting;
using Candor.Collector.Storage;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;
using Xunit.Abstractions;

namespace Candor.Tests.Privacy.AtRest;

/// <summary>
/// Privacy invariant 9, attacked: plant installations with rare value combinations among ordinary ones,
/// send them at low load (one batch per commit) and at high load (concurrent batches, grouped commits),
/// take every view of the storage an attacker with the database could take, and test whether the
/// planted installations' cells sit together (<see cref="PlacementTest"/>: permutation test, alpha 0.01).
/// After the key-order rewrite no view reveals them; without it, the same test finds them, so it can fail.
/// </summary>
public sealed class PlantedInstallationsTests(ITestOutputHelper output)
{
    private static readonly string[] Tables = ["raw_reports", "rollups"];

    [Fact]
    public Task After_the_rewrite_no_sqlite_view_places_a_planted_installation_together_at_low_load() => SqliteAsync(highLoad: false, rewrite: true);

    [Fact]
    public Task After_the_rewrite_no_sqlite_view_places_a_planted_installation_together_at_high_load() => SqliteAsync(highLoad: true, rewrite: true);

    [Fact]
    public Task Without_the_rewrite_the_sqlite_file_order_gives_planted_installations_away() => SqliteAsync(highLoad: false, rewrite: false);

    [PostgresFact]
    public Task After_the_rewrite_no_postgres_view_places_a_planted_installation_together_at_low_load() => PostgresAsync(highLoad: false, rewrite: true);

    [PostgresFact]
    public Task After_the_rewrite_no_postgres_view_places_a_planted_installation_together_at_high_load() => PostgresAsync(highLoad: true, rewrite: true);

    [PostgresFact]
    public Task Without_the_rewrite_postgres_dumps_ctid_and_xmin_give_planted_installations_away() => PostgresAsync(highLoad: false, rewrite: false);

    private async Task SqliteAsync(bool highLoad, bool rewrite)
    {
        var population = new PlantedPopulation();
        await using var host = await StartAsync(null);
        await SendAsync(host, population, highLoad);
        if (rewrite)
            Assert.True(await host.Store.RewriteInKeyOrderAsync());
        else
            Checkpoint(host.DatabasePath); // what a copy of the stopped file (or of file and WAL together) holds

        var views = new Dictionary<string, double>();
        foreach (var table in Tables)
        {
            views[$"{table}: SELECT without ORDER BY"] = PlacementTest.PValue(population.Positions(SqliteSelect(host.DatabasePath, table)));
            views[$"{table}: byte offset in the file"] = PlacementTest.PValue(population.Positions(SqliteFileOffsets(host.DatabasePath, table)));
        }
        Report(views);
        if (rewrite)
            Assert.All(views, v => Assert.True(v.Value >= PlacementTest.Alpha, $"{v.Key}: p = {v.Value}"));
        else
            Assert.True(views["raw_reports: byte offset in the file"] < PlacementTest.Alpha, "the test no longer detects write order in the file");
    }

    private async Task PostgresAsync(bool highLoad, bool rewrite)
    {
        var population = new PlantedPopulation();
        await using var database = await TestDatabase.CreateAsync();
        await using var host = await StartAsync(database.ConnectionString);
        await SendAsync(host, population, highLoad);
        if (rewrite)
            Assert.True(await host.Store.RewriteInKeyOrderAsync());

        var views = new Dictionary<string, double>();
        var dump = await PgDumpAsync(database.ConnectionString);
        foreach (var table in Tables)
        {
            views[$"{table}: SELECT without ORDER BY"] = PlacementTest.PValue(population.Positions(await PostgresViewAsync(database, $"SELECT metric, value, 0 FROM {table}")));
            views[$"{table}: ctid order"] = PlacementTest.PValue(population.Positions(await PostgresViewAsync(database, $"SELECT metric, value, 0 FROM {table} ORDER BY tableoid, ctid")));
            views[$"{table}: xmin"] = PlacementTest.PValue(population.Positions(await PostgresViewAsync(database, $"SELECT metric, value, xmin::text::bigint FROM {table}", usePosition: true)));
            views[$"{table}: pg_dump --data-only"] = PlacementTest.PValue(population.Positions(DumpOrder(dump, table)));
        }
        Report(views);
        if (rewrite)
            Assert.All(views, v => Assert.True(v.Value >= PlacementTest.Alpha, $"{v.Key}: p = {v.Value}"));
        else
            foreach (var view in new[] { "SELECT without ORDER BY", "ctid order", "xmin", "pg_dump --data-only" })
                Assert.True(views[$"raw_reports: {view}"] < PlacementTest.Alpha, $"the test no longer detects write order in raw_reports: {view}");
    }

    private static async Task<CollectorHost> StartAsync(string? postgres)
    {
        var directory = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(directory);
        var registry = Path.Combine(directory, "planted.yaml");
        await File.WriteAllTextAsync(registry, PlantedPopulation.Registry());
        var host = await CollectorHost.StartAsync(o =>
        {
            o.RegistryFiles = [registry];
            o.RewriteIntervalSeconds = 86400; // only the start-up rewrite; the test decides when the next one runs
            if (postgres is not null)
                o.Database = postgres;
        });
        await StartUpRewrite.AwaitAsync(host);
        return host;
    }

    private static async Task SendAsync(CollectorHost host, PlantedPopulation population, bool highLoad)
    {
        if (!highLoad)
        {
            foreach (var batch in population.Batches)
                Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(batch, PlantedPopulation.App)).StatusCode);
            return;
        }
        var answers = await Task.WhenAll(population.Batches.Select(b => Task.Run(() => host.PostAsync(b, PlantedPopulation.App))));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Accepted, a.StatusCode));
    }

    private void Report(Dictionary<string, double> views)
    {
        foreach (var (view, p) in views)
            output.WriteLine($"{view}: p = {p:0.000}");
    }

    private static void Checkpoint(string path)
    {
        using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
        cmd.ExecuteNonQuery();
    }

    private static List<(string, string, double)> SqliteSelect(string path, string table)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT metric, value FROM {table};";
        using var r = cmd.ExecuteReader();
        var list = new List<(string, string, double)>();
        while (r.Read())
            list.Add((r.GetString(0), r.GetString(1), list.Count));
        return list;
    }

    /// <summary>
    /// Where each cell's record lies in the database file, as a forensic reader would find it: the
    /// bytes app‖metric‖period‖value in a page of the table's b-tree (WITHOUT ROWID tables are index
    /// b-trees: each row is in a leaf or, once, in an interior page), the record header telling the
    /// table (5 columns: raw_reports; 6: rollups).
    /// </summary>
    private static List<(string, string, double)> SqliteFileOffsets(string path, string table)
    {
        var bytes = File.ReadAllBytes(path);
        int pageSize = (bytes[16] << 8) | bytes[17];
        if (pageSize == 1) pageSize = 65536;
        int headerLength = table == "raw_reports" ? 6 : 7;
        byte appSerial = (byte)(2 * PlantedPopulation.App.Length + 13);
        var list = new List<(string, string, double)>();
        for (int m = 0; m < PlantedPopulation.Metrics; m++)
            for (int v = 0; v < 64; v++)
            {
                var metric = PlantedPopulation.Metric(m);
                var value = $"v{v:00}";
                var needle = Encoding.UTF8.GetBytes(PlantedPopulation.App + metric + PlantedPopulation.Week + value);
                int from = 0, at;
                while ((at = bytes.AsSpan(from).IndexOf(needle)) >= 0)
                {
                    int o = from + at;
                    from = o + 1;
                    int page = o / pageSize * pageSize;
                    byte kind = bytes[page + (page == 0 ? 100 : 0)];
                    if (kind is 0x0A or 0x02 && o >= headerLength && bytes[o - headerLength] == headerLength && bytes[o - headerLength + 1] == appSerial)
                        list.Add((metric, value, o));
                }
            }
        return list;
    }

    private static async Task<List<(string, string, double)>> PostgresViewAsync(TestDatabase database, string sql, bool usePosition = false)
    {
        await using var c = new NpgsqlConnection(database.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<(string, string, double)>();
        while (await r.ReadAsync())
            list.Add((r.GetString(0), r.GetString(1), usePosition ? Convert.ToDouble(r.GetValue(2)) : list.Count));
        return list;
    }

    /// <summary>The rows of <paramref name="table"/> (its partitions, for raw_reports) in the order pg_dump wrote them.</summary>
    private static List<(string, string, double)> DumpOrder(string dump, string table)
    {
        var list = new List<(string, string, double)>();
        foreach (var columns in DumpRows(dump, table, partitions: table == "raw_reports"))
            list.Add((columns[1], columns[3], list.Count));
        return list;
    }

    /// <summary>
    /// The rows of <paramref name="table"/> in a <c>pg_dump --data-only</c>, in the order it wrote them, as their
    /// tab-separated columns (bytea as <c>\x</c> hex); with <paramref name="partitions"/>, its partitions' rows too.
    /// </summary>
    internal static IEnumerable<string[]> DumpRows(string dump, string table, bool partitions = false)
    {
        bool inTable = false;
        foreach (var line in dump.Split('\n'))
        {
            if (line.StartsWith("COPY public.", StringComparison.Ordinal))
            {
                var name = line["COPY public.".Length..line.IndexOf(' ', "COPY public.".Length)];
                inTable = name == table || (partitions && name.StartsWith(table + "_", StringComparison.Ordinal));
            }
            else if (line == "\\.")
                inTable = false;
            else if (inTable)
                yield return line.Split('\t');
        }
    }

    internal static async Task<string> PgDumpAsync(string connectionString)
    {
        var pgDump = Directory.GetFiles("/usr/lib/postgresql", "pg_dump", SearchOption.AllDirectories).OrderDescending().FirstOrDefault()
            ?? throw new InvalidOperationException("pg_dump not found under /usr/lib/postgresql (apt-get install postgresql).");
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(pgDump, ["--data-only", "-h", b.Host!, "-p", b.Port.ToString(), "-U", b.Username!, "-d", b.Database!])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (b.Password is { } password)
            start.Environment["PGPASSWORD"] = password;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await stderr);
        return await stdout;
    }
}
