using Candor.Collector;

namespace Candor.Tests.Dap;

/// <summary>The Leader's aggregation turn is a setting (DapAggregationIntervalSeconds); a value out of range stops start-up with the setting named.</summary>
public sealed class DapAggregationIntervalTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(86401)]
    public void An_aggregation_interval_outside_one_second_to_a_day_is_refused(int seconds) =>
        Assert.Contains(new CollectorOptions { DapAggregationIntervalSeconds = seconds }.Validate(),
            e => e.StartsWith($"DapAggregationIntervalSeconds: {seconds} is outside 1..86400", StringComparison.Ordinal));

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(86400)]
    public void An_aggregation_interval_from_one_second_to_a_day_is_accepted(int seconds) =>
        Assert.DoesNotContain(new CollectorOptions { DapAggregationIntervalSeconds = seconds }.Validate(),
            e => e.Contains("DapAggregationIntervalSeconds", StringComparison.Ordinal));
}
