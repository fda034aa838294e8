using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Candor.Collector;
using Candor.Collector.Publishing;
using Candor.Collector.Registry;
using Candor.Collector.Storage.Sqlite;
using Candor.Protocol;
using Microsoft.Data.Sqlite;

namespace Candor.Benchmarks;

/// <summary>
/// Server time of a public metric query: a year of data for the example app after 100 million stored
/// reports, loaded straight into the rollup and raw tables (ingesting 100M reports through HTTP would
/// take minutes and measure ingest, not publishing). <see cref="RawRows"/> varies the size of the raw
/// table to show that queries do not depend on it.
/// </summary>
[MemoryDiagnoser]
public class PublicQueryBenchmarks
{
    private const long TotalReports = 100_000_000;
    private string _dir = null!;
    private SqliteReportStore _store = null!;
    private Publisher _publisher = null!;
    private ReleaseJob _releases = null!;
    private static readonly DateOnly Today = new(2026, 11, 22);

    /// <summary>Distinct raw rows besides the year's (filler for other apps): 0 or 5 million.</summary>
    [Params(0, 5_000_000)]
    public int RawRows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("candor-bench-").FullName;
        _store = new SqliteReportStore(Path.Combine(_dir, "candor.db"));
        _store.MigrateAsync().GetAwaiter().GetResult();
        var registryFile = Path.Combine(AppContext.BaseDirectory, "registries", "desktop-editor-v4.yaml");
        var catalog = RegistryCatalog.LoadAsync(_store, [registryFile]).GetAwaiter().GetResult();
        var registry = catalog.Find("org.example.editor")!.Latest.Registry;
        // "Now" is fixed a day after the year ends plus the publishing delay, so every period in it is final:
        // the release job makes and stores the releases once, after the data is loaded (below); every
        // measured call only reads them, as public requests do.
        var options = new CollectorOptions();
        var clock = new FixedTime(Today.AddDays(options.PublishAfterDays + 8));
        _publisher = new Publisher(_store, catalog, options, clock, new ReleaseSignal(options));
        _releases = new ReleaseJob(_publisher, catalog, new ReleaseSignal(options), options, clock,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<ReleaseJob>.Instance);

        using var c = new SqliteConnection($"Data Source={Path.Combine(_dir, "candor.db")};Pooling=False");
        c.Open();
        using var tx = c.BeginTransaction();
        using var rollup = c.CreateCommand();
        rollup.CommandText = "INSERT INTO rollups (app, metric, period, value, reports, total) VALUES ($a, $m, $p, $v, $r, $t);";
        using var raw = c.CreateCommand();
        raw.CommandText = "INSERT INTO raw_reports (app, metric, period, value, reports) VALUES ($a, $m, $p, $v, $r);";
        foreach (var cmd in new[] { rollup, raw })
            foreach (var n in new[] { "$a", "$m", "$p", "$v", "$r", "$t" })
                if (cmd.CommandText.Contains(n)) cmd.Parameters.Add(new SqliteParameter(n, null));

        // Spread 100M reports over a year: every metric, every period, every allowed value.
        var cells = new List<(string Metric, string Period, string Value)>();
        foreach (var m in registry.Metrics)
        {
            var values = m.Type switch
            {
                Candor.Registry.MetricType.Enum => m.Values.ToList(),
                Candor.Registry.MetricType.Flag => ["true", "false"],
                _ when m.Transform == Candor.Registry.NumberTransform.Log10 => ["0", "1", "2", "3", "4"],
                _ => m.Buckets.Select(b => b.ToString()).ToList(),
            };
            int periods = m.Period == Candor.Registry.MetricPeriod.Week ? 52 : 364;
            for (int i = 0; i < periods; i++)
            {
                var period = m.Period == Candor.Registry.MetricPeriod.Week
                    ? PeriodKey.WeekOf(Today.AddDays(-7 * i)).ToString() : PeriodKey.Day(Today.AddDays(-i)).ToString();
                foreach (var v in values) cells.Add((m.Name, period, v));
            }
        }
        long each = TotalReports / cells.Count;
        foreach (var (metric, period, value) in cells)
        {
            Set(rollup, "org.example.editor", metric, period, value, each, each);
            Set(raw, "org.example.editor", metric, period, value, each, null);
        }
        for (int i = 0; i < RawRows; i++)
            Set(raw, "org.example.filler", "filler.metric", PeriodKey.Day(Today.AddDays(-(i % 90))).ToString(), i.ToString(), 1, null);
        tx.Commit();
        var released = _releases.RunOnceAsync().GetAwaiter().GetResult();
        Console.WriteLine($"// released {released} periods");
        Console.WriteLine($"// loaded {cells.Count} rollup cells holding {each * cells.Count:N0} reports, raw rows: {cells.Count + RawRows:N0}");
    }

    private static void Set(SqliteCommand cmd, string app, string metric, string period, string value, long reports, long? total)
    {
        cmd.Parameters["$a"].Value = app; cmd.Parameters["$m"].Value = metric; cmd.Parameters["$p"].Value = period;
        cmd.Parameters["$v"].Value = value; cmd.Parameters["$r"].Value = reports;
        if (total is { } t) cmd.Parameters["$t"].Value = t;
        cmd.ExecuteNonQuery();
    }

    /// <summary>A year of weekly data for one metric, published and serialised as the API answers it.</summary>
    [Benchmark]
    public async Task<int> WeeklyMetricForAYear()
    {
        var series = await _publisher.SeriesAsync("org.example.editor", "system.os", PeriodKey.WeekOf(Today.AddDays(-7 * 51)), PeriodKey.WeekOf(Today), ReleaseWait.None);
        return JsonSerializer.SerializeToUtf8Bytes(PublicEndpoints.ToDocument(series!)).Length;
    }

    /// <summary>A year of daily actives.</summary>
    [Benchmark]
    public async Task<int> DailyActivesForAYear()
    {
        var series = await _publisher.SeriesAsync("org.example.editor", "candor.active", PeriodKey.Day(Today.AddDays(-363)), PeriodKey.Day(Today), ReleaseWait.None);
        return JsonSerializer.SerializeToUtf8Bytes(PublicEndpoints.ToDocument(series!)).Length;
    }

    private sealed class FixedTime(DateOnly day) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(day.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }
}
