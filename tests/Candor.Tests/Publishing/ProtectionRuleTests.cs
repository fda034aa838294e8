using Candor.Collector;
using Candor.Collector.Publishing;
using Candor.Collector.Registry;
using Candor.Collector.Storage;
using Candor.Protocol;
using Candor.Registry;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Publishing;

/// <summary>The publishing rule on crafted cells (no HTTP): floor, k, complementary suppression.</summary>
public sealed class ProtectionRuleTests
{
    private static readonly MetricRegistry Registry = RegistryParser.Parse(TestRegistries.V1, "test.yaml");
    private static readonly PeriodKey W47 = PeriodKey.Parse("2026-W47");

    private static PublishedPeriod Publish(string metric, int k, int rounding, params (string Value, long Reports, long Total)[] cells)
    {
        var publisher = new Publisher(null!, null!, new CollectorOptions { PublishK = k, PublishRounding = rounding });
        var series = publisher.Publish(TestRegistries.App, Registry.FindMetric(metric)!, 1,
            cells.Select(c => new RollupCell(TestRegistries.App, metric, "2026-W47", c.Value, c.Reports, c.Total)), W47, W47);
        return Assert.Single(series.Periods);
    }

    [Fact]
    public void Counts_are_floored_to_the_rounding_and_counts_below_k_are_withheld()
    {
        var p = Publish("system.os", 10, 10, ("linux", 57, 57), ("windows", 31, 31), ("macos", 10, 10), ("other", 9, 9));
        // other (9) is below k; withheld 9 < k, so the smallest published cell (macos, 10) is withheld too.
        Assert.Equal([("linux", 50L), ("windows", 30L)], p.Cells.Select(c => (c.Value, c.Count)));
        Assert.Equal(80, p.Total);
    }

    [Fact]
    public void A_single_small_cell_cannot_be_recovered_by_subtracting_published_cells_from_a_known_total()
    {
        // 40 installs reported their OS; daily actives would publish 40. Without complementary
        // suppression, 40 - 25 - 12 = 3 would reveal the macOS users (with rounding 1, exactly).
        var p = Publish("system.os", 10, 1, ("linux", 25, 25), ("windows", 12, 12), ("macos", 3, 3));
        Assert.Equal([("linux", 25L)], p.Cells.Select(c => (c.Value, c.Count)));
        // What is withheld (macos 3 + windows 12 = 15) is at least k: no group smaller than k can be derived.
    }

    [Fact]
    public void Withheld_cells_that_already_reach_k_need_no_complementary_suppression()
    {
        var p = Publish("system.os", 10, 1, ("linux", 25, 25), ("windows", 12, 12), ("macos", 6, 6), ("other", 5, 5));
        Assert.Equal([("linux", 25L), ("windows", 12L)], p.Cells.Select(c => (c.Value, c.Count)));
    }

    [Fact]
    public void When_every_cell_is_small_nothing_is_published()
    {
        var p = Publish("feature.spellcheck", 10, 10, ("true", 4, 4), ("false", 30, 30));
        Assert.Empty(p.Cells);
        Assert.Equal(0, p.Total);
    }

    [Fact]
    public void A_cell_that_would_floor_to_zero_counts_as_withheld()
    {
        var p = Publish("system.os", 5, 10, ("linux", 40, 40), ("windows", 20, 20), ("macos", 7, 7));
        // macos passes k = 5 but floors to 0, so it is withheld; 7 < 5? no, 7 >= k: nothing more to hide.
        Assert.Equal([("linux", 40L), ("windows", 20L)], p.Cells.Select(c => (c.Value, c.Count)));
    }

    [Fact]
    public void Histogram_buckets_need_k_reports_and_publish_floored_observations()
    {
        var p = Publish("startup.ms", 10, 10, ("100", 35, 180), ("250", 12, 15), ("1000", 2, 2));
        Assert.Equal([("100", 30L, (long?)180), ("250", 10L, 10)], p.Cells.Select(c => (c.Value, c.Count, c.Observations)));
    }

    [Fact]
    public void Shares_are_computed_from_published_counts_only()
    {
        var p = Publish("system.os", 10, 10, ("linux", 57, 57), ("windows", 31, 31), ("macos", 3, 3), ("other", 20, 20));
        Assert.Equal(1.0, p.Cells.Sum(c => c.Share), 6);
        Assert.Equal(p.Cells.Single(c => c.Value == "linux").Count / (double)p.Total, p.Cells.Single(c => c.Value == "linux").Share, 6);
    }
}
