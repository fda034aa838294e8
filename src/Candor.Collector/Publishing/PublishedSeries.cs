using Candor.Protocol;
using Candor.Registry;

namespace Candor.Collector.Publishing;

/// <summary>
/// The published form of one metric over a range of periods: every period in the range is listed,
/// final (with its frozen release) or pending.
/// </summary>
internal sealed record PublishedSeries(string App, MetricDefinition Metric, int RegistryVersion, PrivacyStatement Privacy,
    PeriodKey From, PeriodKey To, IReadOnlyList<PublishedPeriod> Periods)
{
    /// <summary>What a share is a share of, in words (for JSON, CSV and the dashboard).</summary>
    public string ShareOf => Metric.Type == MetricType.Histogram
        ? "the sum of the period's published rows, 'other (withheld)' included; a report may have several buckets, so bucket shares describe buckets, not installations"
        : "the sum of the period's published rows, 'other (withheld)' included: the reports of the period, up to noise";

    public IEnumerable<PublishedPeriod> Final => Periods.Where(p => p.IsFinal);

    /// <summary>True when a final period's release is not stored yet (the answer will change within minutes).</summary>
    public bool Releasing => Periods.Any(p => p.State == PeriodState.Releasing);

    /// <summary>
    /// Sums of published counts per value over the final periods of the range (a multi-period view), in
    /// the order the values first appear, the withheld rows summed into one last row. Post-processing of
    /// published figures only, so it costs no privacy.
    /// </summary>
    public IReadOnlyList<PublishedCell> Totals()
    {
        var cells = Final.SelectMany(p => p.Cells).ToList();
        var order = cells.Select(c => (c.Value, c.Withheld)).Distinct().OrderBy(v => v.Withheld).ToList();
        var sums = order.Select(v => new PublishedCell(v.Value, cells.Where(c => c.Value == v.Value && c.Withheld == v.Withheld).Sum(c => c.Count), 0, v.Withheld)).ToList();
        long total = sums.Sum(c => c.Count);
        return sums.Select(c => c with { Share = total == 0 ? 0 : (double)c.Count / total }).ToList();
    }
}
