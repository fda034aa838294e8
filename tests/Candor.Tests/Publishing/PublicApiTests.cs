using System.Net;
using System.Text.Json;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Publishing;

/// <summary>
/// The public views of a crafted population: in week 2026-W47, 40 installs report their OS (25 linux,
/// 12 windows, 3 macos) and that they were active on 2026-11-20; in 2026-W46, 30 installs (20 linux,
/// 10 windows). The reports arrive on 2026-11-22; the views are read on 2026-12-08, when both weeks are
/// final (14 days after their end) and later weeks are not.
/// </summary>
public sealed class PublicApiTests : IAsyncLifetime
{
    private static readonly DateTimeOffset ReadOn = new(2026, 12, 8, 12, 0, 0, TimeSpan.Zero);
    private CollectorHost _host = null!;

    public async Task InitializeAsync()
    {
        // A weekly total of 15 over the test registry's 15 metric-periods: 1 each, the figures below.
        _host = await CollectorHost.StartAsync(o => o.PublishEpsilonPerWeek = 15);
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
        _host.Clock.Set(ReadOn);
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
    public async Task Every_period_of_the_range_is_listed_as_final_or_pending()
    {
        var json = await Json($"/v1/public/apps/{TestRegistries.App}/metrics/system.os?from=2026-W44&to=2026-W50");
        var states = json.GetProperty("periods").EnumerateArray()
            .Select(p => (p.GetProperty("period").GetString(), p.GetProperty("state").GetString(), p.GetProperty("final_on").GetString())).ToList();
        Assert.Equal([("2026-W44", "final", "2026-11-16"), ("2026-W45", "final", "2026-11-23"), ("2026-W46", "final", "2026-11-30"),
            ("2026-W47", "final", "2026-12-07"), ("2026-W48", "pending", "2026-12-14"), ("2026-W49", "pending", "2026-12-21"),
            ("2026-W50", "pending", "2026-12-28")], states);
        foreach (var pending in json.GetProperty("periods").EnumerateArray().Where(p => p.GetProperty("state").GetString() == "pending"))
        {
            Assert.Empty(pending.GetProperty("values").EnumerateArray());
            Assert.Equal(JsonValueKind.Null, pending.GetProperty("total").ValueKind);
        }
    }

    [Fact]
    public async Task Final_figures_are_noisy_counts_that_pass_the_threshold_and_state_their_privacy_terms()
    {
        var json = await Json($"/v1/public/apps/{TestRegistries.App}/metrics/system.os?from=2026-W47&to=2026-W47");
        var privacy = json.GetProperty("privacy");
        Assert.Equal(1m, privacy.GetProperty("epsilon").GetDecimal());
        Assert.Equal(1e-6, privacy.GetProperty("delta").GetDouble());
        Assert.Equal(15, privacy.GetProperty("threshold").GetInt64());
        Assert.Equal(14, privacy.GetProperty("publish_after_days").GetInt32());
        // Every metric of the newest test registry once (8 weekly ones) and candor.active seven times: 8 + 7 = 15.
        Assert.Equal(15m, privacy.GetProperty("epsilon_per_installation_per_week").GetDecimal());
        Assert.Equal(15m * 52, privacy.GetProperty("epsilon_per_installation_per_year").GetDecimal());
        Assert.Contains("discrete Laplace", privacy.GetProperty("statement").GetString());
        Assert.Contains("withheld", json.GetProperty("share_of").GetString());

        var w47 = json.GetProperty("periods")[0];
        var values = w47.GetProperty("values").EnumerateArray().ToList();
        Assert.All(values, v => Assert.True(v.GetProperty("count").GetInt64() >= 15, v.ToString()));
        // linux (25) passes unless the noise is -11 or less (probability about 1e-5).
        Assert.Contains(values, v => v.GetProperty("value").GetString() == "linux");
        // macOS (3) would need noise of +12 or more (probability below 1e-5) to be shown on its own.
        Assert.DoesNotContain(values, v => v.GetProperty("value").GetString() == "macos");
        Assert.Equal(values.Sum(v => v.GetProperty("count").GetInt64()), w47.GetProperty("total").GetInt64());
        if (values.Count > 0)
            Assert.Equal(1.0, values.Sum(v => v.GetProperty("share").GetDouble()), 3);
    }

    [Fact]
    public async Task The_same_query_twice_returns_the_same_figures()
    {
        string path = $"/v1/public/apps/{TestRegistries.App}/metrics/system.os?from=2026-W40&to=2026-W47";
        var first = await _host.Client.GetStringAsync(path);
        var second = await _host.Client.GetStringAsync(path);
        Assert.Equal(first, second);
        // A different range over the same weeks serves the same releases: no fresh noise to average away.
        var narrower = await Json($"/v1/public/apps/{TestRegistries.App}/metrics/system.os?from=2026-W47&to=2026-W47");
        var again = JsonDocument.Parse(first).RootElement.GetProperty("periods").EnumerateArray().Single(p => p.GetProperty("period").GetString() == "2026-W47");
        Assert.Equal(again.GetProperty("values").ToString(), narrower.GetProperty("periods")[0].GetProperty("values").ToString());
    }

    [Fact]
    public async Task Csv_exports_state_the_registry_version_the_privacy_terms_and_every_period()
    {
        var csv = await _host.Client.GetStringAsync($"/v1/public/apps/{TestRegistries.App}/export.csv");
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("# Candor open data: org.example.test, registry version 2", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("# Privacy of system.os: epsilon = 1, delta = 1E-06, threshold = 15, per installation per week across the app: epsilon = 15,"));
        Assert.Contains(lines, l => l.StartsWith("# Privacy of system.os:") && l.Contains(", per installation per year (52 weeks): epsilon = 780."));
        Assert.Contains("metric,period,state,value,count,share,aggregation", lines);
        Assert.Contains(lines, l => l.StartsWith("system.os,2026-W47,final,linux,") && l.EndsWith(",plain"));
        Assert.Contains(lines, l => l.StartsWith("system.os,2026-W47,final,linux,"));
        Assert.Contains(lines, l => l.StartsWith("system.os,2026-W48,pending,"));
        Assert.Contains(lines, l => l.StartsWith("system.os,2026-W30,final,")); // an old, empty week is listed like any other
        Assert.DoesNotContain(lines, l => l.StartsWith("system.os,2026-W47,final,macos"));
    }

    [Fact]
    public async Task Lists_of_apps_and_metrics_carry_purposes_and_privacy_terms()
    {
        var apps = await Json("/v1/public/apps");
        var app = apps.GetProperty("apps").EnumerateArray().Single(a => a.GetProperty("app").GetString() == TestRegistries.App);
        Assert.Equal(15m, app.GetProperty("privacy").GetProperty("epsilon_per_installation_per_week").GetDecimal());
        var metrics = await Json($"/v1/public/apps/{TestRegistries.App}/metrics");
        Assert.Contains(metrics.GetProperty("metrics").EnumerateArray(), m => m.GetProperty("purpose").GetString() == "Decide which platforms get packages first.");
        var startup = metrics.GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "startup.ms");
        // Six buckets share the metric's epsilon, so each bucket's noise is wider and its threshold higher.
        Assert.Equal("1/6", startup.GetProperty("privacy").GetProperty("epsilon_per_value").GetString());
        Assert.True(startup.GetProperty("privacy").GetProperty("threshold").GetInt64() > 15);
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
        Assert.Equal("2026-W39", json.GetProperty("from").GetString());
        Assert.Equal("2026-W50", json.GetProperty("to").GetString());
    }
}
