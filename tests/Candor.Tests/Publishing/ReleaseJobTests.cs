using System.Net;
using System.Text.Json;
using Candor.Collector.Ingest;
using Candor.Collector.Publishing;
using Candor.Collector.Storage;
using Candor.Protocol;
using Candor.Registry;
using Candor.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Tests.Publishing;

/// <summary>
/// Releases are made by the release job, never by a request (the first whole-app CSV once
/// released 9,333 periods on the request path and took 26 s; three concurrent first calls timed out).
/// Real Kestrel, real SQLite and PostgreSQL; the request path is counted by the releases table itself.
/// </summary>
public sealed class ReleaseJobTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly DateTimeOffset Today = new(2026, 12, 8, 12, 0, 0, TimeSpan.Zero);
    private const int Years = 4;

    [Fact]
    public Task Ten_first_requests_for_the_whole_csv_release_nothing_and_the_job_releases_each_period_once_on_sqlite() => FourYears(null, "sqlite");

    [PostgresFact]
    public async Task Ten_first_requests_for_the_whole_csv_release_nothing_and_the_job_releases_each_period_once_on_postgres()
    {
        await using var database = await TestDatabase.CreateAsync();
        await FourYears(database.ConnectionString, "postgres");
    }

    private async Task FourYears(string? postgres, string engine)
    {
        string dir = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
        try
        {
            await FourYears(postgres, dir, engine);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private async Task FourYears(string? postgres, string dir, string engine)
    {
        void Configure(Candor.Collector.CollectorOptions o, int releaseEvery)
        {
            o.PublishEpsilonPerWeek = 15; // 1 per metric-period of the test registry: 40 reports on a value pass its threshold (15)
            if (postgres is not null) o.Database = postgres;
            o.ReleaseEveryMinutes = releaseEvery;
        }
        // The reader: a collector that runs no job, so whatever is released while it answers was released by a request.
        await using var reader = await CollectorHost.StartAsync(o => Configure(o, 0), directory: dir, clockStart: Today);
        await SeedAsync(reader.Store);
        Assert.Equal(0, await CountReleasesAsync(reader));

        // Timings are printed for docs/benchmarks.md, never asserted.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => reader.Client.GetAsync($"/v1/public/apps/{TestRegistries.App}/export.csv")));
        foreach (var answer in answers)
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal("30", answer.Headers.RetryAfter?.Delta?.TotalSeconds.ToString());
            Assert.Equal("public, max-age=30", answer.Headers.CacheControl?.ToString());
            string csv = await answer.Content.ReadAsStringAsync();
            Assert.Contains("system.os,2023-W10,releasing,,,,plain", csv.Split('\n'));
            Assert.DoesNotContain(",final,", csv);
        }
        output.WriteLine($"{engine}: ten concurrent first whole-app CSV requests answered in {clock.ElapsedMilliseconds} ms");
        Assert.Equal(0, await CountReleasesAsync(reader));

        // Two collectors with the job, on the same database, running at once: every final period of the
        // public horizon gets one release, and a third run (either) finds nothing left to do.
        await using var a = await CollectorHost.StartAsync(o => Configure(o, 60), directory: dir, clockStart: Today);
        await using var b = await CollectorHost.StartAsync(o => Configure(o, 60), directory: dir, clockStart: Today);
        clock.Restart();
        var made = await Task.WhenAll(Job(a).RunOnceAsync(), Job(b).RunOnceAsync());
        output.WriteLine($"{engine}: two release jobs at once released the four-year horizon in {clock.ElapsedMilliseconds} ms ({made.Sum()} releases made, {ExpectedReleases(reader)} kept)");
        int expected = ExpectedReleases(reader);
        Assert.Equal(expected, await CountReleasesAsync(reader));
        Assert.True(made.Sum() >= expected, $"the jobs made {made.Sum()} releases for {expected} periods");
        var snapshot = await ReleasesAsync(reader);
        Assert.Equal(0, await Job(a).RunOnceAsync());
        Assert.Equal(snapshot, await ReleasesAsync(reader));

        // Now the reader serves them: every line final, the seeded weeks with figures.
        clock.Restart();
        var done = await reader.Client.GetAsync($"/v1/public/apps/{TestRegistries.App}/export.csv");
        output.WriteLine($"{engine}: the whole-app CSV once released answered in {clock.ElapsedMilliseconds} ms ({(await done.Content.ReadAsByteArrayAsync()).Length} bytes)");
        Assert.Null(done.Headers.RetryAfter);
        string full = await done.Content.ReadAsStringAsync();
        Assert.DoesNotContain(",releasing,", full);
        Assert.Contains(full.Split('\n'), l => l.StartsWith("system.os,2023-W10,final,linux,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_read_waits_no_longer_than_its_budget_and_says_releasing_until_the_job_has_run()
    {
        await using var host = await CollectorHost.StartAsync(o => { o.ReleaseWaitMilliseconds = 0; o.ReleaseEveryMinutes = 60; o.PublishEpsilonPerWeek = 15; }, clockStart: TestRegistries.Now);
        for (int i = 0; i < 40; i++)
            await host.PostAsync("""{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "system.os", "value": "linux" } ] }""");
        host.Clock.Set(Today);
        string path = $"/v1/public/apps/{TestRegistries.App}/metrics/system.os?from=2026-W47&to=2026-W48";
        var first = await host.Client.GetAsync(path);
        var periods = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("periods");
        Assert.Equal("releasing", periods[0].GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, periods[0].GetProperty("total").ValueKind);
        Assert.Empty(periods[0].GetProperty("values").EnumerateArray());
        Assert.Equal("pending", periods[1].GetProperty("state").GetString());
        Assert.Equal(TimeSpan.FromSeconds(30), first.Headers.RetryAfter?.Delta);

        // The read woke the job; once its run is over, the same question has the release.
        await host.App.Services.GetRequiredService<ReleaseSignal>().RequestRun().WaitAsync(TimeSpan.FromMinutes(2));
        var again = JsonDocument.Parse(await host.Client.GetStringAsync(path)).RootElement.GetProperty("periods");
        Assert.Equal("final", again[0].GetProperty("state").GetString());
        Assert.Contains(again[0].GetProperty("values").EnumerateArray(), v => v.GetProperty("value").GetString() == "linux");
    }

    [Fact]
    public async Task A_query_older_than_the_public_horizon_is_refused()
    {
        await using var host = await CollectorHost.StartAsync(clockStart: Today);
        await Problem.AssertAsync(await host.Client.GetAsync($"/v1/public/apps/{TestRegistries.App}/metrics/system.os?from=2021-W40&to=2021-W50"),
            HttpStatusCode.BadRequest, "bad-range");
    }

    private static ReleaseJob Job(CollectorHost host) => host.App.Services.GetRequiredService<ReleaseJob>();

    /// <summary>Four years of weekly system.os reports (linux 40, windows 20), written as the ingest queue writes them.</summary>
    private static async Task SeedAsync(IReportStore store)
    {
        var day = DateOnly.FromDateTime(Today.UtcDateTime);
        var reports = new List<ValidatedReport>();
        for (var w = PeriodKey.WeekOf(day.AddYears(-Years)); w.End <= day.AddDays(-14); w = PeriodKey.WeekOf(w.End))
            foreach (var (os, n) in new[] { ("linux", 40), ("windows", 20) })
                for (int i = 0; i < n; i++)
                    reports.Add(new ValidatedReport("system.os", w.ToString(), os, null));
        var requests = reports.Chunk(500).Select(c => new AppendRequest(TestRegistries.App, c, null, null, new IngestResponse(c.Length, 86400), day)).ToList();
        await store.AppendGroupAsync(requests);
    }

    private static int ExpectedReleases(CollectorHost host)
    {
        var day = DateOnly.FromDateTime(Today.UtcDateTime);
        var publisher = host.App.Services.GetRequiredService<Publisher>();
        var registry = host.App.Services.GetRequiredService<Candor.Collector.Registry.RegistryCatalog>().Find(TestRegistries.App)!.Latest.Registry;
        return registry.Metrics.Sum(m => Publisher.Periods(m.Period, PublicRange.Horizon(m.Period, day), PeriodKey.For(m.Period, day)).Count(p => publisher.FinalOn(p) <= day));
    }

    private static async Task<int> CountReleasesAsync(CollectorHost host) => (await ReleasesAsync(host)).Count;

    private static async Task<List<string>> ReleasesAsync(CollectorHost host)
    {
        var registry = host.App.Services.GetRequiredService<Candor.Collector.Registry.RegistryCatalog>().Find(TestRegistries.App)!.Latest.Registry;
        var all = new List<string>();
        foreach (var m in registry.Metrics)
            all.AddRange((await host.Store.ReadReleasesAsync(TestRegistries.App, m.Name, "0", "~")).Select(r => $"{r.Metric} {r.Period} {r.Document}"));
        return all;
    }
}
