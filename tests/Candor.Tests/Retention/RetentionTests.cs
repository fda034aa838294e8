using System.Net;
using System.Text.Json;
using Candor.Collector.Retention;
using Candor.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Tests.Retention;

/// <summary>
/// Privacy invariant 8 on a running collector with a fake clock: raw reports go after the retention
/// period, rollups stay, and the public purge log says what went when. On both engines.
/// </summary>
public sealed class RetentionTests
{
    // TestRegistries.FullBatch: five reports for 2026-W47 (ends 2026-11-23) and candor.active for 2026-11-20 (ends 2026-11-21).

    [Fact]
    public Task Raw_reports_are_purged_after_the_retention_period_on_sqlite() => PurgesAfterRetention(null);

    [PostgresFact]
    public async Task Raw_reports_are_purged_after_the_retention_period_on_postgres()
    {
        await using var database = await TestDatabase.CreateAsync();
        await PurgesAfterRetention(database.ConnectionString);
    }

    [Fact]
    public Task An_app_can_keep_raw_reports_for_less_time_on_sqlite() => PerAppRetention(null);

    [PostgresFact]
    public async Task An_app_can_keep_raw_reports_for_less_time_on_postgres()
    {
        await using var database = await TestDatabase.CreateAsync();
        await PerAppRetention(database.ConnectionString);
    }

    [Fact]
    public async Task The_purge_log_of_an_unknown_app_is_404()
    {
        await using var host = await CollectorHost.StartAsync();
        await Problem.AssertAsync(await host.Client.GetAsync("/v1/apps/org.example.nope/purges"), HttpStatusCode.NotFound, "unknown-app");
    }

    [Fact]
    public async Task A_non_positive_app_retention_stops_start_up_with_the_setting_named()
    {
        var e = await Assert.ThrowsAsync<Candor.Collector.Hosting.CollectorConfigurationException>(() =>
            CollectorHost.StartAsync(o => o.Apps[TestRegistries.App] = new() { RetentionDays = 0 }));
        Assert.Contains($"Apps:{TestRegistries.App}:RetentionDays must be positive", e.Message);
    }

    private static async Task PurgesAfterRetention(string? postgres)
    {
        await using var host = await CollectorHost.StartAsync(o => { if (postgres is not null) o.Database = postgres; });
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        var rollups = await host.Store.ReadRollupsAsync(TestRegistries.App);
        var janitor = host.App.Services.GetRequiredService<RetentionJanitor>();

        // 90 days after 2026-11-21 the day report's period is past retention, the week's (ends 11-23) not yet.
        host.Clock.Set(new DateTimeOffset(2027, 2, 19, 0, 30, 0, TimeSpan.Zero));
        await janitor.RunOnceAsync();
        Assert.DoesNotContain(await host.Store.ReadRawAsync(TestRegistries.App), r => r.Metric == "candor.active");
        Assert.Equal(5, (await host.Store.ReadRawAsync(TestRegistries.App)).Count);

        host.Clock.Set(new DateTimeOffset(2027, 2, 21, 0, 30, 0, TimeSpan.Zero));
        await janitor.RunOnceAsync();
        await janitor.RunOnceAsync(); // nothing left: logs nothing more
        Assert.Empty(await host.Store.ReadRawAsync(TestRegistries.App));
        Assert.Equal(rollups, await host.Store.ReadRollupsAsync(TestRegistries.App));

        using var log = JsonDocument.Parse(await host.Client.GetStringAsync($"/v1/apps/{TestRegistries.App}/purges"));
        Assert.Equal(90, log.RootElement.GetProperty("retention_days").GetInt32());
        var purges = log.RootElement.GetProperty("purges").EnumerateArray()
            .Select(p => (p.GetProperty("day").GetString(), p.GetProperty("purged_before").GetString()))
            .ToList();
        // One entry per day a purge was scheduled, rows or not (the start-up purge of 2026-11-22 removed nothing
        // and is there too); a second purge on one day adds no entry.
        Assert.Equal([("2026-11-22", "2026-08-24"), ("2027-02-19", "2026-11-21"), ("2027-02-21", "2026-11-23")], purges);
        // The attack: the first purge removed only candor.active of 2026-11-20, so its report count would be
        // that day's exact actives (2 here, below any threshold). The public log holds dates and nothing counted.
        Assert.All(log.RootElement.GetProperty("purges").EnumerateArray(),
            p => Assert.Equal(["day", "purged_before"], p.EnumerateObject().Select(f => f.Name).Order()));
        Assert.DoesNotContain("\"reports\"", log.RootElement.ToString());
        // The counts stay with the operator (database and log), where retention can still be audited.
        Assert.Equal([(0L, 0L), (1L, 2L), (5L, 10L)], (await host.Store.ReadPurgesAsync(TestRegistries.App)).Select(p => (p.RawRows, p.Reports)));
    }

    [Fact]
    public Task Purge_entries_for_a_day_with_one_report_and_a_day_with_none_are_identical_on_sqlite() => PurgeSchedule(null);

    [PostgresFact]
    public async Task Purge_entries_for_a_day_with_one_report_and_a_day_with_none_are_identical_on_postgres()
    {
        await using var database = await TestDatabase.CreateAsync();
        await PurgeSchedule(database.ConnectionString);
    }

    /// <summary>
    /// The attack on the public purge log: an entry written only when rows went told, for every day,
    /// whether any report of it existed. One candor.active report for 2026-11-20 and none for 2026-11-21;
    /// the purges that remove each day (90 days on) are scheduled alike. The attack reads the public log for
    /// each of the two purges: present or not, and every field but the two dates. Control: the store's own
    /// (private) counts show the two purges really differ, one row against none, so identical public entries
    /// are the protection, not a set-up without a difference.
    /// </summary>
    private static async Task PurgeSchedule(string? postgres)
    {
        await using var host = await CollectorHost.StartAsync(o => { if (postgres is not null) o.Database = postgres; });
        var oneDay = """{ "schema": 1, "period": "2026-11-20", "reports": [ { "metric": "candor.active", "value": true } ] }""";
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(oneDay)).StatusCode);
        var janitor = host.App.Services.GetRequiredService<RetentionJanitor>();
        host.Clock.Set(new DateTimeOffset(2027, 2, 18, 3, 0, 0, TimeSpan.Zero)); // removes periods ended by 2026-11-20: none
        await janitor.RunOnceAsync();
        host.Clock.Set(new DateTimeOffset(2027, 2, 19, 3, 0, 0, TimeSpan.Zero)); // removes 2026-11-20: one report
        await janitor.RunOnceAsync();
        host.Clock.Set(new DateTimeOffset(2027, 2, 20, 3, 0, 0, TimeSpan.Zero)); // removes 2026-11-21: no report
        await janitor.RunOnceAsync();

        var stored = (await host.Store.ReadPurgesAsync(TestRegistries.App)).ToDictionary(p => p.Day);
        Assert.Equal(1, stored[new DateOnly(2027, 2, 19)].Reports); // the control: the days differ
        Assert.Equal(0, stored[new DateOnly(2027, 2, 20)].Reports);

        using var log = JsonDocument.Parse(await host.Client.GetStringAsync($"/v1/apps/{TestRegistries.App}/purges"));
        var entries = log.RootElement.GetProperty("purges").EnumerateArray().ToDictionary(p => p.GetProperty("day").GetString()!, p => p.Clone());
        Assert.True(entries.ContainsKey("2027-02-19"), "the purge of the day with a report has no entry");
        Assert.True(entries.ContainsKey("2027-02-20"), "the purge of the day without a report has no entry: the log shows presence");
        Assert.True(entries.ContainsKey("2027-02-18"));
        static string WithoutDates(JsonElement e) => string.Join(",", e.EnumerateObject()
            .Select(f => f.Name + "=" + (f.Name is "day" or "purged_before" ? "<date>" : f.Value.GetRawText())));
        Assert.Equal(WithoutDates(entries["2027-02-19"]), WithoutDates(entries["2027-02-20"]));
        Assert.Equal("2026-11-21", entries["2027-02-19"].GetProperty("purged_before").GetString());
        Assert.Equal("2026-11-22", entries["2027-02-20"].GetProperty("purged_before").GetString());
    }

    private static async Task PerAppRetention(string? postgres)
    {
        await using var host = await CollectorHost.StartAsync(o =>
        {
            if (postgres is not null) o.Database = postgres;
            o.Apps[TestRegistries.App] = new() { RetentionDays = 3 };
            o.PublishAfterDays = 2; // must stay below every app's retention
        });
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        // Today 2026-11-24, retention 3 days: periods that ended by 2026-11-21 go (the day report), the week stays.
        host.Clock.Set(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
        await host.App.Services.GetRequiredService<RetentionJanitor>().RunOnceAsync();
        var raw = await host.Store.ReadRawAsync(TestRegistries.App);
        Assert.Equal(5, raw.Count);
        Assert.DoesNotContain(raw, r => r.Metric == "candor.active");
        Assert.Equal(3, JsonDocument.Parse(await host.Client.GetStringAsync($"/v1/apps/{TestRegistries.App}/purges")).RootElement.GetProperty("retention_days").GetInt32());
        // Ingest uses the same boundary: the purged day can no longer be reported.
        var late = """{ "schema": 1, "period": "2026-11-20", "reports": [ { "metric": "candor.active", "value": true } ] }""";
        await Problem.AssertAsync(await host.PostAsync(late), HttpStatusCode.BadRequest, "invalid-reports");
    }
}
