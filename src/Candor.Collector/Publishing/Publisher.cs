using Candor.Collector.Registry;
using Candor.Collector.Storage;
using Candor.Protocol;
using Candor.Registry;

namespace Candor.Collector.Publishing;

/// <summary>
/// The one place that decides what the public may see. It turns rollup cells into published cells:
///
/// 1. Primary suppression: a cell counted from fewer than k reports is withheld.
/// 2. Complementary suppression: within one (metric, period), if the withheld cells add up to between
///    1 and k-1, the smallest published cells are withheld too until they add up to at least k. Without
///    this, a total known from another view (daily actives, or the same installs' reports of another
///    metric) minus the published cells would reveal the small group.
/// 3. Published counts are floored to the rounding.
/// 4. Totals, shares and multi-period sums are computed from published counts only, so no view holds a
///    number that is not already implied by published cells.
///
/// Histogram buckets get steps 1 and 3 on the number of reports that had the bucket; their bucket
/// counts do not add up to a population, so step 2 has nothing to protect there.
/// </summary>
public sealed class Publisher(IReportStore store, RegistryCatalog catalog, CollectorOptions options)
{
    public ProtectionRule Rule { get; } = new(options.PublishK, options.PublishRounding);

    /// <summary>The published series of one metric over [from, to], or null if the app or metric is unknown.</summary>
    public async Task<PublishedSeries?> SeriesAsync(string app, string metric, PeriodKey from, PeriodKey to, CancellationToken cancellationToken = default)
    {
        var registries = catalog.Find(app);
        var def = registries?.Latest.Registry.FindMetric(metric);
        if (registries is null || def is null)
            return null;
        var cells = await store.ReadRollupsAsync(registries.App, def.Name, cancellationToken);
        return Publish(registries.App, def, registries.Latest.Registry.Version, cells, from, to);
    }

    /// <summary>Applies the rule to rollup cells of one metric (pure; the tests drive it directly too).</summary>
    public PublishedSeries Publish(string app, MetricDefinition def, int registryVersion, IEnumerable<RollupCell> cells, PeriodKey from, PeriodKey to)
    {
        var periods = new List<PublishedPeriod>();
        foreach (var group in cells.GroupBy(c => c.Period))
        {
            if (!PeriodKey.TryParse(group.Key, out var key) || key.Value.Kind != def.Period || key.Value.Start < from.Start || key.Value.Start > to.Start)
                continue;
            var published = Protect(def, group.ToList());
            long total = published.Sum(c => c.Count);
            periods.Add(new PublishedPeriod(key.Value, published.Select(c => c with { Share = total == 0 ? 0 : (double)c.Count / total }).ToList(), total));
        }
        periods.Sort((a, b) => a.Period.Start.CompareTo(b.Period.Start));
        return new PublishedSeries(app, def, registryVersion, Rule, from, to, periods);
    }

    private List<PublishedCell> Protect(MetricDefinition def, List<RollupCell> cells)
    {
        // A cell that would floor to 0 is withheld like one below k (possible when rounding > k).
        bool Passes(RollupCell c) => c.Reports >= Rule.K && Rule.Floor(c.Reports) > 0;
        var kept = cells.Where(Passes).ToList();
        if (def.Type != MetricType.Histogram)
        {
            long withheld = cells.Where(c => !Passes(c)).Sum(c => c.Reports);
            kept.Sort((a, b) => a.Reports.CompareTo(b.Reports));
            while (withheld is > 0 && withheld < Rule.K && kept.Count > 0)
            {
                withheld += kept[0].Reports;
                kept.RemoveAt(0);
            }
        }
        return kept
            .Select(c => new PublishedCell(c.Value, Rule.Floor(c.Reports), def.Type == MetricType.Histogram ? Rule.Floor(c.Total) : null, 0))
            .OrderBy(c => c.Value, ValueOrder(def))
            .ToList();
    }

    /// <summary>Registry order for enum values and numeric order for buckets, so charts read naturally.</summary>
    private static IComparer<string> ValueOrder(MetricDefinition def) => Comparer<string>.Create((a, b) =>
    {
        if (def.Type == MetricType.Enum)
            return def.Values.IndexOf(a).CompareTo(def.Values.IndexOf(b));
        if (long.TryParse(a, out var x) && long.TryParse(b, out var y))
            return x.CompareTo(y);
        return string.CompareOrdinal(b, a); // flags: "true" before "false"
    });
}

public sealed record PublishedCell(string Value, long Count, long? Observations, double Share);

public sealed record PublishedPeriod(PeriodKey Period, IReadOnlyList<PublishedCell> Cells, long Total);

public sealed record PublishedSeries(string App, MetricDefinition Metric, int RegistryVersion, ProtectionRule Rule,
    PeriodKey From, PeriodKey To, IReadOnlyList<PublishedPeriod> Periods)
{
    /// <summary>Sums of published counts per value over the whole range (a multi-period view).</summary>
    public IReadOnlyList<PublishedCell> Totals()
    {
        var sums = Periods.SelectMany(p => p.Cells).GroupBy(c => c.Value)
            .Select(g => new PublishedCell(g.Key, g.Sum(c => c.Count), g.Any(c => c.Observations is not null) ? g.Sum(c => c.Observations ?? 0) : null, 0))
            .ToList();
        long total = sums.Sum(c => c.Count);
        var order = Periods.SelectMany(p => p.Cells).Select(c => c.Value).Distinct().ToList();
        return sums.Select(c => c with { Share = total == 0 ? 0 : (double)c.Count / total }).OrderBy(c => order.IndexOf(c.Value)).ToList();
    }
}
