using System.Net;
using System.Text.Json;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Publishing;

/// <summary>
/// The hostile submitter: ingest is anonymous, so anyone can add reports and read the public figures
/// after each one. Under the old rule (k = 10, complementary suppression, flooring) a week with macOS 3,
/// linux 20, windows 17 gave macOS = 3 and windows = 17 away in about ten requests. Here the attack is
/// replayed on a real collector (Kestrel, SQLite or PostgreSQL): on a final week the published figures do
/// not change at all, and the current week publishes nothing to learn from.
/// </summary>
public sealed class InjectionAttackTests
{
    private static readonly DateTimeOffset ReportedOn = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero); // Sunday of 2026-W47
    private static readonly DateTimeOffset AttackedOn = new(2026, 12, 8, 12, 0, 0, TimeSpan.Zero);  // W47 final since 12-07

    [Fact]
    public Task Injected_reports_do_not_move_a_final_week_on_sqlite() => FinalWeek(null);

    [PostgresFact]
    public async Task Injected_reports_do_not_move_a_final_week_on_postgres()
    {
        await using var database = await TestDatabase.CreateAsync();
        await FinalWeek(database.ConnectionString);
    }

    [Fact]
    public Task The_current_week_publishes_nothing_to_inject_against_on_sqlite() => CurrentWeek(null);

    [PostgresFact]
    public async Task The_current_week_publishes_nothing_to_inject_against_on_postgres()
    {
        await using var database = await TestDatabase.CreateAsync();
        await CurrentWeek(database.ConnectionString);
    }

    private static async Task Population(CollectorHost host, string week)
    {
        foreach (var (os, n) in new[] { ("macos", 3), ("linux", 20), ("windows", 17) })
            for (int i = 0; i < n; i++)
                await Post(host, week, os);
    }

    private static async Task Post(CollectorHost host, string week, string os) =>
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync($$"""{ "schema": 1, "period": "{{week}}", "reports": [ { "metric": "system.os", "value": "{{os}}" } ] }""")).StatusCode);

    private static async Task<string> Read(CollectorHost host, string week, string format = "")
    {
        var response = await host.Client.GetAsync($"/v1/public/apps/{TestRegistries.App}/metrics/system.os{format}?from={week}&to={week}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task FinalWeek(string? postgres)
    {
        await using var host = await CollectorHost.StartAsync(o => { if (postgres is not null) o.Database = postgres; }, clockStart: ReportedOn);
        await Population(host, "2026-W47");
        host.Clock.Set(AttackedOn);
        string json = await Read(host, "2026-W47"), csv = await Read(host, "2026-W47", "/export.csv");
        Assert.Equal("final", JsonDocument.Parse(json).RootElement.GetProperty("periods")[0].GetProperty("state").GetString());

        // The attack: macOS reports one at a time (the old rule gave macOS away after the 7th), then
        // windows reports (the old rule moved windows from 10 to 20), reading after every one. The
        // collector still accepts reports for the week (it is within retention); none moves a figure.
        for (int i = 0; i < 10; i++)
        {
            await Post(host, "2026-W47", "macos");
            Assert.Equal(json, await Read(host, "2026-W47"));
        }
        for (int i = 0; i < 3; i++)
        {
            await Post(host, "2026-W47", "windows");
            Assert.Equal(json, await Read(host, "2026-W47"));
            Assert.Equal(csv, await Read(host, "2026-W47", "/export.csv"));
        }
        // The reports were kept (they count in the rollups), they just never reach a release.
        var rollups = await host.Store.ReadRollupsAsync(TestRegistries.App, "system.os");
        Assert.Equal(13, rollups.Single(c => c.Value == "macos").Reports);
        Assert.Equal(20, rollups.Single(c => c.Value == "windows").Reports);
        // Another collector process on the same database serves the same stored release.
        await host.App.StopAsync();
        await using var again = await CollectorHost.StartAsync(o => o.Database = host.Options.Database, clockStart: AttackedOn.AddDays(30));
        Assert.Equal(json, await Read(again, "2026-W47"));
    }

    private static async Task CurrentWeek(string? postgres)
    {
        await using var host = await CollectorHost.StartAsync(o => { if (postgres is not null) o.Database = postgres; }, clockStart: ReportedOn);
        await Population(host, "2026-W47");
        string before = await Read(host, "2026-W47");
        var period = JsonDocument.Parse(before).RootElement.GetProperty("periods")[0];
        Assert.Equal("pending", period.GetProperty("state").GetString());
        Assert.Equal("2026-12-07", period.GetProperty("final_on").GetString());
        Assert.Empty(period.GetProperty("values").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, period.GetProperty("total").ValueKind);

        // The same attack on the open week: every answer is the same "pending, nothing" document, so
        // the attacker learns nothing about the 3 macOS reports (nor that the week has any report at all).
        for (int i = 0; i < 10; i++)
        {
            await Post(host, "2026-W47", "macos");
            Assert.Equal(before, await Read(host, "2026-W47"));
        }
        // An empty open week reads exactly the same.
        Assert.Equal(before.Replace("2026-W47", "2026-W46").Replace("2026-12-07", "2026-11-30"), await Read(host, "2026-W46"));

        // Once final, the week is released from everything received by then, with noise, and frozen.
        host.Clock.Set(AttackedOn);
        var released = JsonDocument.Parse(await Read(host, "2026-W47")).RootElement.GetProperty("periods")[0];
        Assert.Equal("final", released.GetProperty("state").GetString());
        Assert.All(released.GetProperty("values").EnumerateArray(), v => Assert.True(v.GetProperty("count").GetInt64() >= 15));
    }
}
