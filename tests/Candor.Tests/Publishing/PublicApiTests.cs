using System.Net;
using System.Text.Json;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Publishing;

/// <summary>
/// The public views of a crafted population: in week 2026-W47, 40 installs report their OS (25 linux,
/// 12 windows, 3 macos) and that they were active on 2026-11-20; in 2026-W46, 30 installs (20 linux,
/// 10 windows). macOS (3) is below k = 10 and no view may reveal it.
/// </summary>
public sealed class PublicApiTests : IAsyncLifetime
{
    private CollectorHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await CollectorHost.StartAsync();
        async Task Send(string week, string day, string os, int times)
        {
            for (int i = 0; i < times; i++)
            {
                var body = $$"""{ "schema": 1, "period": "{{week}}", "reports": [ { "metric": "system.os", "value": "{{os}}" }, { "metric": "candor.active", "period": "{{day}}", "value": true } ] }""";
                Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync(body)).StatusCode);
            }
        }
        await Send("2026-W47", "2026-11-20", "linux", 25);
        await Send("2026-W47", "2026-11-20", "windows", 12);
        await Send("2026-W47", "2026-11-20", "macos", 3);
        await Send("2026-W46", "2026-11-13", "linux", 20);
        await Send("2026-W46", "2026-11-13", "windows", 10);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<JsonElement> Json(string path)
    {
        var response = await _host.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("public, max-age=300", response.Headers.CacheControl?.ToString());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    [Fact]
    public async Task The_small_cell_and_its_complement_are_withheld_in_the_weekly_view()
    {
        var json = await Json($"/v1/public/apps/{TestRegistries.App}/metrics/system.os?from=2026-W46&to=2026-W47");
        var periods = json.GetProperty("periods").EnumerateArray().ToDictionary(p => p.GetProperty("period").GetString()!);
        var w47 = periods["2026-W47"].GetProperty("values").EnumerateArray().Select(v => (v.GetProperty("value").GetString(), v.GetProperty("count").GetInt64())).ToList();
        Assert.Equal([("linux", 20L)], w47);
        Assert.Equal(20, periods["2026-W47"].GetProperty("total").GetInt64());
        var w46 = periods["2026-W46"].GetProperty("values").EnumerateArray().Select(v => (v.GetProperty("value").GetString(), v.GetProperty("count").GetInt64())).ToList();
        Assert.Equal([("linux", 20L), ("windows", 10L)], w46);
        Assert.Equal(10, json.GetProperty("protection").GetProperty("k").GetInt32());
        Assert.Equal(10, json.GetProperty("protection").GetProperty("rounding").GetInt32());
    }

    [Fact]
    public async Task Actives_are_published_per_day_and_nothing_anywhere_reveals_the_macos_count()
    {
        var actives = await Json($"/v1/public/apps/{TestRegistries.App}/metrics/candor.active?from=2026-11-13&to=2026-11-22");
        var day = actives.GetProperty("periods").EnumerateArray().Single(p => p.GetProperty("period").GetString() == "2026-11-20");
        Assert.Equal(40, day.GetProperty("values")[0].GetProperty("count").GetInt64());

        // Every public document, JSON and CSV, is searched: macos appears in none, and no published
        // OS figure for 2026-W47 leaves a remainder below k against the 40 actives.
        var texts = new List<string>();
        foreach (var path in new[] {
            "/v1/public/apps", $"/v1/public/apps/{TestRegistries.App}/metrics",
            $"/v1/public/apps/{TestRegistries.App}/metrics/system.os?from=2026-W40&to=2026-W47",
            $"/v1/public/apps/{TestRegistries.App}/metrics/system.os/export.csv?from=2026-W40&to=2026-W47",
            $"/v1/public/apps/{TestRegistries.App}/export.csv" })
            texts.Add(await _host.Client.GetStringAsync(path));
        Assert.All(texts, t => Assert.DoesNotContain("macos", t));
        var osW47 = (await Json($"/v1/public/apps/{TestRegistries.App}/metrics/system.os?from=2026-W47&to=2026-W47"))
            .GetProperty("periods")[0].GetProperty("total").GetInt64();
        Assert.True(40 - osW47 >= 10, "the OS remainder against actives must be at least k");
    }

    [Fact]
    public async Task Csv_exports_state_the_registry_version_and_the_protection_rule()
    {
        var csv = await _host.Client.GetStringAsync($"/v1/public/apps/{TestRegistries.App}/export.csv");
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("# Candor open data: org.example.test, registry version 2", lines[0]);
        Assert.StartsWith("# Protection: k = 10, rounding = 10.", lines[1]);
        Assert.Contains("metric,period,value,count,observations", lines);
        Assert.Contains("system.os,2026-W47,linux,20,", lines);
        Assert.Contains("system.os,2026-W46,windows,10,", lines);
        Assert.Contains("candor.active,2026-11-20,true,40,", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("system.os,2026-W47,windows"));
    }

    [Fact]
    public async Task Lists_of_apps_and_metrics_carry_purposes_and_the_rule()
    {
        var apps = await Json("/v1/public/apps");
        Assert.Contains(apps.GetProperty("apps").EnumerateArray(), a => a.GetProperty("app").GetString() == TestRegistries.App);
        var metrics = await Json($"/v1/public/apps/{TestRegistries.App}/metrics");
        Assert.Contains(metrics.GetProperty("metrics").EnumerateArray(), m => m.GetProperty("purpose").GetString() == "Decide which platforms get packages first.");
        Assert.Contains("never published", metrics.GetProperty("protection").GetProperty("rule").GetString());
    }

    [Fact]
    public async Task Bad_queries_get_problem_json()
    {
        await Problem.AssertAsync(await _host.Client.GetAsync("/v1/public/apps/org.example.nope/metrics"), HttpStatusCode.NotFound, "unknown-app");
        await Problem.AssertAsync(await _host.Client.GetAsync($"/v1/public/apps/{TestRegistries.App}/metrics/nope.nope"), HttpStatusCode.NotFound, "unknown-metric");
        await Problem.AssertAsync(await _host.Client.GetAsync($"/v1/public/apps/{TestRegistries.App}/metrics/system.os?from=yesterday"), HttpStatusCode.BadRequest, "bad-range");
        await Problem.AssertAsync(await _host.Client.GetAsync($"/v1/public/apps/{TestRegistries.App}/metrics/system.os?from=2026-W47&to=2026-W40"), HttpStatusCode.BadRequest, "bad-range");
        await Problem.AssertAsync(await _host.Client.GetAsync($"/v1/public/apps/{TestRegistries.App}/metrics/system.os?from=2010-W01&to=2026-W40"), HttpStatusCode.BadRequest, "bad-range");
    }

    [Fact]
    public async Task The_default_range_is_the_last_twelve_weeks_up_to_this_one()
    {
        var json = await Json($"/v1/public/apps/{TestRegistries.App}/metrics/system.os");
        Assert.Equal("2026-W36", json.GetProperty("from").GetString());
        Assert.Equal("2026-W47", json.GetProperty("to").GetString());
    }
}
