namespace Candor.Collector.Publishing;

/// <summary>
/// One published row of a period: a value and its noisy count, or (<see cref="Withheld"/>) the merged
/// row of every value whose own noisy count did not pass the threshold.
/// </summary>
/// <param name="Value">The registry value (an enum value, a bucket's lower bound, "true"/"false"), or <see cref="WithheldLabel"/>.</param>
/// <param name="Count">Noisy count of reports carrying the value (histograms: of reports having the bucket); at least the threshold, floored to the display rounding.</param>
/// <param name="Share">Count divided by the period's <see cref="PublishedPeriod.Total"/> (see <see cref="PublishedSeries.ShareOf"/>).</param>
/// <param name="Withheld">True only on the "other (withheld)" row.</param>
public sealed record PublishedCell(string Value, long Count, double Share, bool Withheld = false)
{
    /// <summary>The label of the merged row; not a registry value (registry values cannot hold spaces or brackets).</summary>
    public const string WithheldLabel = "other (withheld)";
}
