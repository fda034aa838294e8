using System.Globalization;

namespace Candor.Collector.Publishing;

/// <summary>
/// The differential-privacy terms of one metric's releases, stated wherever its figures are published
/// (JSON, CSV, dashboard). Neighbouring data sets differ by one installation's report for the metric
/// and period (an installation sends at most one report per metric and period).
/// </summary>
/// <param name="Epsilon">Per installation, for one metric and one period: the metric-period's share of <see cref="EpsilonPerWeek"/> (<see cref="PrivacyBudget"/>).</param>
/// <param name="CellEpsilon">The noise of each value's count: <see cref="Epsilon"/> itself, or for a histogram Epsilon divided by its number of buckets (one report can be in every bucket).</param>
/// <param name="Delta">Chance that a value held by a single installation is published at all (the threshold is chosen for it).</param>
/// <param name="Threshold">Smallest noisy count published; the "other (withheld)" row needs it too.</param>
/// <param name="Rounding">Display step: published counts are floored to a multiple of this (1: none). Costs no privacy.</param>
/// <param name="PublishAfterDays">A period is final this many days after it ends.</param>
/// <param name="EpsilonPerWeek">Per installation, per ISO week, across every metric of the app (daily metrics count seven times): the budget the operator sets.</param>
/// <param name="DeltaPerWeek">The same sum for delta.</param>
public sealed record PrivacyStatement(Rational Epsilon, Rational CellEpsilon, double Delta, long Threshold, int Rounding, int PublishAfterDays,
    Rational EpsilonPerWeek, double DeltaPerWeek)
{
    /// <summary>Per installation over a year of <see cref="PrivacyBudget.WeeksPerYear"/> weeks.</summary>
    public Rational EpsilonPerYear => EpsilonPerWeek.Times(PrivacyBudget.WeeksPerYear);

    public const string Mechanism = "discrete Laplace (two-sided geometric) noise from an exact integer sampler on a cryptographic random source";

    public string Describe()
    {
        string perBucket = CellEpsilon == Epsilon ? "" : $" ({CellEpsilon} per bucket)";
        string rounding = Rounding > 1 ? $" Counts are then floored to a multiple of {Rounding} for display." : "";
        return FormattableString.Invariant(
            $"Each period is published once, {PublishAfterDays} days after it ends, and never changes afterwards; open periods are not published. Every count carries {Mechanism}, epsilon = {Epsilon} per installation for this metric and period{perBucket}; a value is shown only if its noisy count reaches {Threshold}, so a value held by one installation appears with probability at most {Delta:G3} (delta). Values below that are merged into one 'other (withheld)' row, shown only above a threshold for the sum of their noises (at least {Threshold}, higher the more values it merges), so a single installation makes it appear with probability at most delta too. Across all of this app's metrics, one installation's reports of one week are protected with epsilon = {EpsilonPerWeek} and delta = {DeltaPerWeek:G3} (epsilon = {EpsilonPerYear} over a year of {PrivacyBudget.WeeksPerYear} weeks).{rounding}");
    }
}
