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
        Assert.Equal([("2027-02-19", "2026-11-21"), ("2027-02-21", "2026-11-23")], purges);
        // The attack: the first purge removed only candor.active of 2026-11-20, so its report count would be
        // that day's exact actives (2 here, below any threshold). The public log holds dates and nothing counted.
        Assert.All(log.RootElement.GetProperty("purges").EnumerateArray(),
            p => Assert.Equal(["day", "purged_before"], p.EnumerateObject().Select(f => f.Name).Order()));
        Assert.DoesNotContain("\"reports\"", log.RootElement.ToString());
        // The counts stay with the operator (database and log), where retention can still be audited.
        Assert.Equal([(1L, 2L), (5L, 10L)], (await host.Store.ReadPurgesAsync(TestRegistries.App)).Select(p => (p.RawRows, p.Reports)));
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
