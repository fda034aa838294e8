using System.Globalization;
using Candor.Registry;

namespace Candor.Collector.Publishing;

/// <summary>
/// One installation's privacy budget for one app, and how the publisher splits it (docs/privacy.md, "The
/// privacy budget"). The setting people reason about is the total per installation and ISO week; the
/// split is the rule that makes it true:
///
/// 1. A week holds <see cref="Units"/> metric-periods of the registry: each weekly metric is one, each
///    daily metric seven (an installation sends at most one report per metric and period).
/// 2. Each metric-period gets an equal share, <see cref="PerMetricPeriod"/> = <see cref="PerWeek"/> / Units,
///    as an exact fraction; a histogram's buckets share their metric's share again (Publisher.CellEpsilon).
/// 3. By basic composition the week's releases together then cost at most <see cref="PerWeek"/>, and a year
///    (<see cref="WeeksPerYear"/> weeks) at most <see cref="PerYear"/>.
///
/// Without the split, adding a metric silently raised what an installation gives away; with it, adding a
/// metric makes every figure noisier and the total stays what the operator set. The old per-metric setting
/// (<see cref="CollectorOptions.PublishEpsilon"/>) maps the other way: its share stays, and the total is its sum.
/// </summary>
public sealed record PrivacyBudget(Rational PerWeek, long Units, Rational PerMetricPeriod, bool FromPerMetricSetting)
{
    /// <summary>The yearly figure counts 52 weeks; an ISO year with 53 adds one more week's budget.</summary>
    public const int WeeksPerYear = 52;

    public Rational PerYear => PerWeek.Times(WeeksPerYear);

    /// <summary>Metric-periods one installation can report in one week: weekly metrics once, daily ones seven times.</summary>
    public static long UnitsOf(MetricRegistry registry) =>
        Math.Max(1, registry.Metrics.Sum(m => m.Period == MetricPeriod.Day ? 7L : 1L));

    /// <summary>The budget of <paramref name="registry"/> under the collector's settings.</summary>
    public static PrivacyBudget For(MetricRegistry registry, CollectorOptions options) =>
        For(registry, options.PublishEpsilonPerWeek, options.PublishEpsilon);

    /// <summary>
    /// The budget from the two settings: the weekly total when given (or the default when neither is), else
    /// the old per-metric epsilon kept as each metric-period's share. Validation refuses both set.
    /// </summary>
    public static PrivacyBudget For(MetricRegistry registry, decimal? perWeek, decimal? perMetric = null)
    {
        long units = UnitsOf(registry);
        if (perWeek is null && perMetric is { } legacy)
        {
            var share = Rational.From(legacy);
            return new PrivacyBudget(share.Times(units), units, share, FromPerMetricSetting: true);
        }
        var total = Rational.From(perWeek ?? CollectorOptions.DefaultEpsilonPerWeek);
        return new PrivacyBudget(total, units, total.DividedBy(units), FromPerMetricSetting: false);
    }

    /// <summary>One line for people: the weekly and yearly totals and the share of each metric-period.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"epsilon {PerWeek} per installation and week, {PerYear} per year ({WeeksPerYear} weeks); each of the {Units} metric-periods of a week gets {PerMetricPeriod}{(FromPerMetricSetting ? " (set by the old per-metric PublishEpsilon)" : "")}");
}
