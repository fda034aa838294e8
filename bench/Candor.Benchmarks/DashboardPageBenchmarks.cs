using BenchmarkDotNet.Attributes;
using Candor.Collector;
using Candor.Collector.Hosting;
using Candor.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Candor.Benchmarks;

/// <summary>
/// Server time of the app page (<c>GET /apps/{app}?range=52w</c>): a real collector (Kestrel on
/// 127.0.0.1, SQLite) holding a year of the example app's 21 metrics as rollups, every period final.
/// <c>Rendered</c> defeats the page cache with a new query string each call, so it measures the full
/// render from stored releases; <c>Cached</c> asks for the same address, as most visitors do.
/// </summary>
[MemoryDiagnoser]
public class DashboardPageBenchmarks
{
    private static readonly DateOnly Today = new(2026, 11, 22);
    private string _dir = null!;
    private WebApplication _app = null!;
    private HttpClient _http = null!;
    private int _n;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("candor-bench-dash-").FullName;
        var options = new CollectorOptions
        {
            Database = Path.Combine(_dir, "candor.db"),
            Urls = ["http://127.0.0.1:0"],
            OperatorUrls = ["http://127.0.0.1:0"],
            RegistryFiles = [Path.Combine(AppContext.BaseDirectory, "registries", "desktop-editor-v4.yaml")],
        };
        var now = new FixedTime(Today.AddDays(options.PublishAfterDays + 8));
        _app = CollectorApp.BuildAsync(options, time: now, configureLogging: l => l.ClearProviders()).GetAwaiter().GetResult();
        _app.StartAsync().GetAwaiter().GetResult();
        var registry = RegistryRows(options.Database);
        Console.WriteLine($"// loaded {registry:N0} rollup cells");
        _http = new HttpClient { BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        // The first render makes and stores every period's release; the measured calls read them.
        _http.GetStringAsync("/apps/org.example.editor?range=52w&warm=1").GetAwaiter().GetResult();
    }

    /// <summary>A year of every metric, every value, 1,000 reports each, straight into the rollups.</summary>
    private static int RegistryRows(string database)
    {
        var registry = Candor.Registry.RegistryParser.ParseFile(Path.Combine(AppContext.BaseDirectory, "registries", "desktop-editor-v4.yaml"));
        using var c = new SqliteConnection($"Data Source={database};Pooling=False");
        c.Open();
        using var tx = c.BeginTransaction();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO rollups (app, metric, period, value, reports, total) VALUES ('org.example.editor', $m, $p, $v, 1000, 1000);";
        var m_ = cmd.Parameters.Add(new SqliteParameter("$m", null));
        var p_ = cmd.Parameters.Add(new SqliteParameter("$p", null));
        var v_ = cmd.Parameters.Add(new SqliteParameter("$v", null));
        int rows = 0;
        foreach (var m in registry.Metrics)
        {
            List<string> values = m.Type switch
            {
                Candor.Registry.MetricType.Enum => m.Values.ToList(),
                Candor.Registry.MetricType.Flag => ["true", "false"],
                _ when m.Transform == Candor.Registry.NumberTransform.Log10 => ["0", "1", "2", "3", "4"],
                _ => m.Buckets.Select(b => b.ToString()).ToList(),
            };
            int periods = m.Period == Candor.Registry.MetricPeriod.Week ? 53 : 371;
            for (int i = 0; i < periods; i++)
            {
                m_.Value = m.Name;
                p_.Value = m.Period == Candor.Registry.MetricPeriod.Week ? PeriodKey.WeekOf(Today.AddDays(-7 * i)).ToString() : PeriodKey.Day(Today.AddDays(-i)).ToString();
                foreach (var v in values) { v_.Value = v; cmd.ExecuteNonQuery(); rows++; }
            }
        }
        tx.Commit();
        return rows;
    }

    [Benchmark]
    public async Task<int> Rendered() => (await _http.GetStringAsync($"/apps/org.example.editor?range=52w&n={++_n}")).Length;

    [Benchmark]
    public async Task<int> Cached() => (await _http.GetStringAsync("/apps/org.example.editor?range=52w")).Length;

    private sealed class FixedTime(DateOnly day) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(day.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _http.Dispose();
        _app.StopAsync().GetAwaiter().GetResult();
        ((IAsyncDisposable)_app).DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }
}
