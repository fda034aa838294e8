using System.Net;
using System.Text.Json;
using Candor.Collector;
using Candor.Collector.Publishing;
using Candor.Collector.Registry;
using Candor.Collector.Storage.Sqlite;
using Candor.Protocol;
using Candor.Registry;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Publishing;

/// <summary>
/// The release rule on crafted counts (no HTTP, many releases, so the statements are about
/// distributions): the attacks the old rule (k-threshold, complementary suppression, flooring) was
/// meant to stop, replayed against noise and threshold, plus presence on a real collector.
/// </summary>
public sealed class ReleaseRuleTests
{
    private static readonly MetricRegistry Registry = RegistryParser.Parse(TestRegistries.V2, "test.yaml");
    private static readonly PeriodKey W47 = PeriodKey.Parse("2026-W47");
    private const int Releases = 2000;

    private static PrivacyStatement Statement(MetricDefinition def)
    {
        var options = new CollectorOptions();
        var eps = new Rational(1, 1); // a metric-period's share of 1 (the figures below are worked out for it)
        var cell = def.Type == MetricType.Histogram ? eps.DividedBy(def.Buckets.Length) : eps;
        return new PrivacyStatement(eps, cell, options.PublishDelta, Publisher.ThresholdFor(cell, options.PublishDelta), 1, 14, eps, options.PublishDelta);
    }

    private static PublishedPeriod Release(string metric, params (string Value, long Reports)[] counts)
    {
        var def = Registry.FindMetric(metric)!;
        var doc = Publisher.Release(def, Statement(def), counts.ToDictionary(c => c.Value, c => c.Reports));
        return Publisher.Present(def, W47, new DateOnly(2026, 12, 7), doc, 1);
    }

    [Fact]
    public void A_value_held_by_a_tenth_of_installations_is_never_hidden_to_protect_a_smaller_one()
    {
        // The demo's failure: 1 % "other" made the old rule withhold macOS (10 %) every week.
        for (int i = 0; i < Releases; i++)
        {
            var p = Release("system.os", ("linux", 250), ("windows", 100), ("macos", 40), ("other", 4));
            Assert.NotNull(p.CountOf("macos"));
            Assert.NotNull(p.CountOf("windows"));
            Assert.All(p.Cells, c => Assert.True(c.Count >= 15)); // "other" (4) shows only if its noise is 11 or more
            Assert.Equal(1.0, p.Cells.Sum(c => c.Share), 9);
            Assert.Equal(p.Total, p.Cells.Sum(c => c.Count));
        }
    }

    [Fact]
    public void Small_values_are_merged_into_one_withheld_row_that_is_shown_when_it_passes_the_threshold()
    {
        // Three small values (9 + 8 + 7 = 24) are each withheld most of the time; merged, they usually pass.
        int merged = 0;
        for (int i = 0; i < Releases; i++)
        {
            var p = Release("system.os", ("linux", 200), ("windows", 9), ("macos", 8), ("other", 7));
            Assert.All(p.Cells, c => Assert.True(c.Count >= 15));
            if (p.WithheldRow is { } row)
            {
                merged++;
                Assert.Equal(PublishedCell.WithheldLabel, row.Value);
                Assert.Same(row, p.Cells[^1]);
            }
        }
        Assert.True(merged > Releases / 2, $"the merged row was shown in {merged} of {Releases} releases");
    }

    [Fact]
    public void Three_macos_among_forty_cannot_be_recovered_by_subtracting_published_figures()
    {
        // The old attack: 40 installs active (published by candor.active), the OS chart shows the rest;
        // 40 - 25 - 12 = 3, exactly, in every release. Now each figure has independent noise.
        var active = Registry.FindMetric("candor.active")!;
        var estimates = new List<long>();
        for (int i = 0; i < Releases; i++)
        {
            var os = Release("system.os", ("linux", 25), ("windows", 12), ("macos", 3));
            var doc = Publisher.Release(active, Statement(active), new Dictionary<string, long> { ["true"] = 40 });
            long actives = doc.Values.Single(v => v.Value == "true").Count;
            // The attacker's best use of what is public: actives minus every published OS row (the withheld row included).
            estimates.Add(actives - os.Cells.Sum(c => c.Count));
        }
        double exact = estimates.Count(e => e == 3) / (double)Releases;
        double spread = Math.Sqrt(estimates.Select(e => Math.Pow(e - estimates.Average(), 2)).Average());
        // The old rule: exact in 100 % of releases with spread 0. Each release is drawn once and frozen, so
        // the attacker holds one such estimate per period, and it is off by several reports most of the time.
        Assert.True(exact < 0.3, $"the subtraction hit macOS = 3 exactly in {exact:P0} of releases");
        Assert.True(spread > 2, $"spread {spread:F2}");
    }

    [Fact]
    public void A_week_with_a_few_reports_is_released_like_a_week_with_none()
    {
        // Presence: the same noise and threshold decide for every final week. With none or two reports a
        // release is empty except with probability around delta per row; with nine (linux 5, macOS 4), a
        // value is named only when its noise is +10 or more (about 3 in 100,000 releases), and the merged
        // row appears only where the four noises add up to 15 or more: the epsilon-per-report guarantee,
        // nine times over. Bounds leave room so that a correct rule fails this test with negligible probability.
        int none = 0, two = 0, nine = 0, named = 0;
        for (int i = 0; i < Releases; i++)
        {
            if (Release("system.os").Cells.Count > 0) none++;
            if (Release("system.os", ("macos", 2)).Cells.Count > 0) two++;
            var p = Release("system.os", ("linux", 5), ("macos", 4));
            if (p.CountOf("linux") is not null || p.CountOf("macos") is not null) named++;
            if (p.Cells.Count > 0) nine++;
        }
        Assert.True(none <= 1, $"{none} of {Releases} empty weeks were not released empty");
        Assert.True(two <= 1, $"{two} of {Releases} two-report weeks were not released empty");
        Assert.True(named <= 5, $"{named} of {Releases} nine-report weeks named a value");
        Assert.True(nine < Releases * 0.06, $"{nine} of {Releases} nine-report weeks showed a row");
    }

    [Fact]
    public async Task A_final_week_with_a_few_reports_reads_exactly_like_one_with_none_in_json_and_csv()
    {
        await using var host = await CollectorHost.StartAsync();
        for (int i = 0; i < 6; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync("""{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "system.os", "value": "macos" } ] }""")).StatusCode);
        host.Clock.Set(new DateTimeOffset(2026, 12, 8, 12, 0, 0, TimeSpan.Zero));
        var json = JsonDocument.Parse(await host.Client.GetStringAsync($"/v1/public/apps/{TestRegistries.App}/metrics/system.os?from=2026-W46&to=2026-W47")).RootElement;
        var periods = json.GetProperty("periods").EnumerateArray().ToList();
        // W46 had no report at all, W47 six: both are final releases, both empty, nothing else differs.
        Assert.Equal(periods[0].GetProperty("values").ToString(), periods[1].GetProperty("values").ToString());
        Assert.Equal(periods[0].GetProperty("total").GetInt64(), periods[1].GetProperty("total").GetInt64());
        Assert.Equal("final", periods[0].GetProperty("state").GetString());
        var csv = (await host.Client.GetStringAsync($"/v1/public/apps/{TestRegistries.App}/metrics/system.os/export.csv?from=2026-W46&to=2026-W47")).Split('\n');
        Assert.Contains("system.os,2026-W46,final,,,,plain", csv);
        Assert.Contains("system.os,2026-W47,final,,,,plain", csv);
        // The dashboard shows the range the same way: no figure, no hint.
        var html = await host.Client.GetStringAsync($"/apps/{TestRegistries.App}?from=2026-W46&to=2026-W47");
        Assert.DoesNotContain("macos", html.Replace("macos, other", "")); // the registry's value list may be named, never a figure
    }

    [Fact]
    public async Task A_stored_release_survives_a_restart_and_a_change_of_settings()
    {
        string dir = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
        string first;
        await using (var host = await CollectorHost.StartAsync(o => o.PublishEpsilonPerWeek = 15, directory: dir, clockStart: new DateTimeOffset(2026, 12, 8, 12, 0, 0, TimeSpan.Zero)))
        {
            for (int i = 0; i < 40; i++)
                await host.PostAsync("""{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "system.os", "value": "linux" } ] }""");
            first = await host.Client.GetStringAsync($"/v1/public/apps/{TestRegistries.App}/metrics/system.os?from=2026-W47&to=2026-W47");
        }
        await using (var host = await CollectorHost.StartAsync(o => o.PublishEpsilon = 0.5m, directory: dir, clockStart: new DateTimeOffset(2026, 12, 20, 12, 0, 0, TimeSpan.Zero)))
        {
            var again = JsonDocument.Parse(await host.Client.GetStringAsync($"/v1/public/apps/{TestRegistries.App}/metrics/system.os?from=2026-W47&to=2026-W47")).RootElement;
            var before = JsonDocument.Parse(first).RootElement;
            Assert.Equal(before.GetProperty("periods").ToString(), again.GetProperty("periods").ToString());
            // The period says the terms it was released under; the series states today's settings.
            Assert.Equal("1", again.GetProperty("periods")[0].GetProperty("epsilon").GetString());
            Assert.Equal(0.5m, again.GetProperty("privacy").GetProperty("epsilon").GetDecimal());
        }
        Directory.Delete(dir, true);
    }
}
