using System.Text;
using Candor.Collector.Publishing;
using Candor.Registry;
using static Candor.Collector.Dashboard.Html;

namespace Candor.Collector.Dashboard;

/// <summary>
/// One metric over a selected range and the range before it, as published by <see cref="Publisher"/>:
/// its chart, its table and its links. Periods still arriving are kept apart: they are drawn as such in
/// period charts and left out of totals, shares and changes, which would otherwise show a drop.
/// </summary>
internal sealed class MetricView
{
    private MetricView(string app, MetricDefinition metric, RangeSelection range, PublishedSeries current, PublishedSeries previous, ArrivalWindow window)
    {
        App = app;
        Metric = metric;
        Range = range;
        Current = current;
        Final = current.Periods.Where(p => !window.IsArriving(p.Period, range.Today) && p.Total > 0).ToList();
        Arriving = current.Periods.Where(p => window.IsArriving(p.Period, range.Today)).Select(p => p.Period).ToHashSet();
        PreviousFinal = previous.Periods.Where(p => !window.IsArriving(p.Period, range.Today) && p.Total > 0).ToList();
        // Every period of the range still arriving, published or not, so the chart can mark the gap.
        var (from, to) = range.Periods(metric.Period);
        for (var p = from; p.Start <= to.Start; p = Candor.Protocol.PeriodKey.For(metric.Period, p.End))
            if (window.IsArriving(p, range.Today) && p.Start <= range.Today)
                Arriving.Add(p);
        // Totals over whole periods only, from published counts only (PublishedSeries.Totals does the sums).
        Totals = ValueText.Ordered(metric, (current with { Periods = Final }).Totals());
        PreviousTotals = (previous with { Periods = PreviousFinal }).Totals().ToDictionary(c => c.Value);
    }

    public string App { get; }
    public MetricDefinition Metric { get; }
    public RangeSelection Range { get; }
    public PublishedSeries Current { get; }
    public IReadOnlyList<PublishedPeriod> Final { get; }
    public HashSet<Candor.Protocol.PeriodKey> Arriving { get; }
    public IReadOnlyList<PublishedPeriod> PreviousFinal { get; }
    public IReadOnlyList<PublishedCell> Totals { get; }
    public IReadOnlyDictionary<string, PublishedCell> PreviousTotals { get; }

    /// <summary>True for the built-in activity flags, drawn as one column per period.</summary>
    public bool IsActivity => Metric.Name is MetricRegistry.ActiveMetricName or MetricRegistry.ActiveWeekMetricName;

    public static async Task<MetricView?> LoadAsync(Publisher publisher, string app, MetricDefinition metric, RangeSelection range, ArrivalWindow window, CancellationToken cancel)
    {
        var (from, to) = range.Periods(metric.Period);
        var (prevFrom, prevTo) = range.Periods(metric.Period, previous: true);
        var current = await publisher.SeriesAsync(app, metric.Name, from, to, cancel);
        var previous = await publisher.SeriesAsync(app, metric.Name, prevFrom, prevTo, cancel);
        return current is null || previous is null ? null : new MetricView(app, metric, range, current, previous, window) { ArrivalDays = window.Days };
    }

    /// <summary>Installations active in a published period: the "true" cell of an activity flag.</summary>
    public static long Active(PublishedPeriod p) => p.Cells.FirstOrDefault(c => c.Value == "true")?.Count ?? 0;

    public bool HasFigures => IsActivity ? Final.Count > 0 : Totals.Count > 0;

    /// <summary>Columns per period for the activity flags (arriving ones marked), bars per value otherwise.</summary>
    public string Chart(bool standalone = false)
    {
        string title = $"{Metric.Description} ({Current.From} to {Current.To})";
        if (IsActivity)
        {
            var published = Current.Periods.ToDictionary(p => p.Period);
            var points = new List<ColumnPoint>();
            var (from, to) = Range.Periods(Metric.Period);
            for (var p = from; p.Start <= to.Start && p.Start <= Range.Today; p = Candor.Protocol.PeriodKey.For(Metric.Period, p.End))
            {
                bool arriving = Arriving.Contains(p);
                long? value = published.TryGetValue(p, out var pp) && pp.Total > 0 ? Active(pp) : null;
                if (value is not null || arriving || points.Count > 0)
                    points.Add(new ColumnPoint(p.ToString(), value, arriving));
            }
            return SvgChart.Columns(title, points, standalone);
        }
        bool compare = PreviousTotals.Count > 0;
        return SvgChart.Bars(title, Totals.Select(c => new BarRow(ValueText.Label(Metric, c.Value), Value(c),
            compare ? (PreviousTotals.TryGetValue(c.Value, out var p) ? Value(p) : 0) : null)).ToList(), standalone);
    }

    private long Value(PublishedCell c) => Metric.Type == MetricType.Histogram ? c.Observations ?? 0 : c.Count;

    /// <summary>What a bar counts, in words.</summary>
    public string Unit => Metric.Type switch
    {
        MetricType.Histogram => "observations",
        MetricType.Flag => Metric.Period == MetricPeriod.Week ? "installation-weeks" : "installation-days",
        _ => Metric.Period == MetricPeriod.Week ? "weekly reports" : "daily reports",
    };

    /// <summary>
    /// The chart's table, collapsed behind it (still read by screen readers, and open for people who
    /// would rather read numbers). <paramref name="activeBase"/> is the installation-periods of activity
    /// that a flag's share is taken of; without it shares are of the published reports, and say so.
    /// </summary>
    public string Table(long activeBase = 0)
    {
        var sb = new StringBuilder("<details class=\"data\"><summary>Table of these figures</summary><div class=\"table-wrap\"><table>");
        if (IsActivity)
        {
            sb.Append($"<thead><tr><th scope=\"col\">{(Metric.Period == MetricPeriod.Week ? "Week" : "Day")}</th><th scope=\"col\" class=\"num\">Active installations</th></tr></thead><tbody>");
            var published = Current.Periods.ToDictionary(p => p.Period);
            foreach (var p in Current.Periods.Select(p => p.Period).Union(Arriving).OrderBy(p => p.Start))
            {
                string value = published.TryGetValue(p, out var pp) && pp.Total > 0 ? N(Active(pp)) : "–";
                sb.Append($"<tr><td>{p}</td><td class=\"num\">{(Arriving.Contains(p) ? $"{value} (still arriving)" : value)}</td></tr>");
            }
            return sb.Append("</tbody></table></div></details>").ToString();
        }
        long total = Totals.Sum(Value);
        bool flagShare = Metric.Type == MetricType.Flag && activeBase > 0;
        string shareHeader = flagShare ? $"Share of the {N(activeBase)} active {Unit}" : $"Share of the {N(total)} published {Unit}";
        sb.Append($"<thead><tr><th scope=\"col\">Value</th><th scope=\"col\" class=\"num\">{E(Capitalize(Unit))}</th><th scope=\"col\" class=\"num\">{E(shareHeader)}</th>")
          .Append("<th scope=\"col\" class=\"num\">Previous range</th><th scope=\"col\" class=\"num\">Change</th></tr></thead><tbody>");
        foreach (var c in Totals)
        {
            long v = Value(c);
            double share = flagShare ? Math.Min(1, v / (double)activeBase) : total == 0 ? 0 : v / (double)total;
            long? before = PreviousTotals.TryGetValue(c.Value, out var p) ? Value(p) : null;
            sb.Append($"<tr><td>{E(ValueText.Label(Metric, c.Value))}</td><td class=\"num\">{N(v)}</td><td class=\"num\">{Pct(share)}</td>")
              .Append($"<td class=\"num\">{(before is { } b ? N(b) : "–")}</td><td class=\"num\">{(before is { } b2 ? ValueText.Change(v, b2) : "–")}</td></tr>");
        }
        return sb.Append("</tbody></table></div></details>").ToString();
    }

    /// <summary>The chart's own addresses: embeddable image and page, and the same figures as JSON and CSV.</summary>
    public string Links()
    {
        string q = E(Range.Query);
        string app = Uri.EscapeDataString(App), metric = Uri.EscapeDataString(Metric.Name);
        string data = $"from={Current.From}&amp;to={Current.To}";
        return $"<p class=\"links\">This chart: <a href=\"/apps/{app}/charts/{metric}.svg?{q}\">SVG image</a> · " +
               $"<a href=\"/apps/{app}/charts/{metric}?{q}\">page to embed</a> · " +
               $"<a href=\"/v1/public/apps/{app}/metrics/{metric}?{data}\">JSON</a> · " +
               $"<a href=\"/v1/public/apps/{app}/metrics/{metric}/export.csv?{data}\">CSV</a></p>";
    }

    /// <summary>Which periods of the range are left out of the totals because their reports are still arriving.</summary>
    public string ArrivingNote()
    {
        if (Arriving.Count == 0) return "";
        var list = Arriving.OrderBy(p => p.Start).ToList();
        string which = list.Count == 1 ? list[0].ToString() : $"{list[0]} to {list[^1]}";
        return $"<p class=\"arriving-note\">{which}: still arriving (clients send a period's reports up to {ArrivalDays} days after it ends), so not counted here yet.</p>";
    }

    public int ArrivalDays { get; init; }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
