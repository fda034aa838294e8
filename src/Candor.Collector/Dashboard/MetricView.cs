using System.Text;
using Candor.Collector.Publishing;
using Candor.Registry;
using static Candor.Collector.Dashboard.Html;

namespace Candor.Collector.Dashboard;

/// <summary>
/// One metric over a selected range and the range before it, as published by <see cref="Publisher"/>:
/// its chart, its table and its links. Periods still arriving (pending: the Publisher shows nothing for
/// them until they are final) are drawn as such in period charts and said so under every other chart;
/// totals, shares and changes use final periods only, so the newest days never look like a drop.
/// </summary>
internal sealed class MetricView
{
    private MetricView(string app, MetricDefinition metric, RangeSelection range, PublishedSeries current, PublishedSeries previous)
    {
        App = app;
        Metric = metric;
        Range = range;
        Current = current;
        bool activity = IsActivity;
        bool Counted(PublishedPeriod p) => activity ? p.CountOf("true") is not null : p.Total > 0;
        Final = current.Final.Where(Counted).ToList();
        PreviousFinal = previous.Final.Where(Counted).ToList();
        // Pending periods that have begun: the Publisher shows nothing for them until they are final.
        Pending = current.Periods.Where(p => !p.IsFinal && p.Period.Start <= range.Today).ToList();
        Arriving = Pending.Select(p => p.Period).ToHashSet();
        // Sums over final periods, of published counts only (PublishedSeries.Totals does the sums).
        Totals = ValueText.Ordered(metric, current.Totals());
        PreviousTotals = previous.Totals().ToDictionary(c => (c.Value, c.Withheld));
    }

    public string App { get; }
    public MetricDefinition Metric { get; }
    public RangeSelection Range { get; }
    public PublishedSeries Current { get; }
    public IReadOnlyList<PublishedPeriod> Final { get; }
    public IReadOnlyList<PublishedPeriod> Pending { get; }
    public HashSet<Candor.Protocol.PeriodKey> Arriving { get; }
    public IReadOnlyList<PublishedPeriod> PreviousFinal { get; }
    public IReadOnlyList<PublishedCell> Totals { get; }
    public IReadOnlyDictionary<(string Value, bool Withheld), PublishedCell> PreviousTotals { get; }

    /// <summary>True for the built-in activity flags, drawn as one column per period.</summary>
    public bool IsActivity => Metric.Name is MetricRegistry.ActiveMetricName or MetricRegistry.ActiveWeekMetricName;

    public static async Task<MetricView?> LoadAsync(Publisher publisher, string app, MetricDefinition metric, RangeSelection range, ReleaseWait wait, CancellationToken cancel)
    {
        var (from, to) = range.Periods(metric.Period);
        var (prevFrom, prevTo) = range.Periods(metric.Period, previous: true);
        var current = await publisher.SeriesAsync(app, metric.Name, from, to, wait, cancel);
        var previous = await publisher.SeriesAsync(app, metric.Name, prevFrom, prevTo, wait, cancel);
        return current is null || previous is null ? null : new MetricView(app, metric, range, current, previous);
    }

    /// <summary>Installations active in a published period: the "true" cell of an activity flag.</summary>
    public static long Active(PublishedPeriod p) => p.CountOf("true") ?? 0;

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
                long? value = published.TryGetValue(p, out var pp) ? pp.CountOf("true") : null;
                if (value is not null || arriving || points.Count > 0)
                    points.Add(new ColumnPoint(p.ToString(), value, arriving));
            }
            return SvgChart.Columns(title, $"Active installations per {PeriodWord}", points, standalone);
        }
        if (Final.Count == 0)
            return "";
        if (IsVersion)
            return VersionChart(title, standalone);
        var newest = Final[^1];
        var first = Final.Count > 1 ? Final[0] : null;
        var rows = newest.Cells
            .Select(c => new ShareRow(Label(c), ShareIn(newest, c.Value, c.Withheld) ?? 0, first is null ? null : ShareIn(first, c.Value, c.Withheld)))
            .OrderBy(r => r.Label == PublishedCell.WithheldLabel).ThenByDescending(r => r.Share).ToList();
        return SvgChart.ShareBars(title, ShareUnit(newest), first?.Period.ToString(), rows, WithheldShort(), standalone);
    }

    /// <summary>The version metric (enum <c>app.version</c>): adoption over time, one line per version.</summary>
    public bool IsVersion => Metric.Name == VersionMetricName && Metric.Type == MetricType.Enum;

    public const string VersionMetricName = "app.version";

    private string VersionChart(string title, bool standalone)
    {
        var versions = Final.SelectMany(p => p.Cells).Where(c => !c.Withheld).Select(c => c.Value).Distinct()
            .OrderBy(v => Metric.Values.IndexOf(v) is var i and >= 0 ? i : int.MaxValue).ToList();
        var series = versions.Select(v => new SeriesLine(ValueText.Label(Metric, v), Final.Select(p => ShareIn(p, v, false)).ToList())).ToList();
        return SvgChart.Lines(title, $"Share of installations on each version, per {PeriodWord}", Final.Select(p => p.Period.ToString()).ToList(), series, WithheldShort(), standalone);
    }

    private string PeriodWord => Metric.Period == MetricPeriod.Week ? "week" : "day";

    /// <summary>Active installations per period (the built-in activity flag of the metric's granularity), for shares of installations.</summary>
    public IReadOnlyDictionary<Candor.Protocol.PeriodKey, long> Actives { get; set; } = new Dictionary<Candor.Protocol.PeriodKey, long>();

    /// <summary>
    /// Counters, flags and histograms are sent only by installations that have something to say (a
    /// crash counted, a feature used, a start-up timed), so their rows are shares of the period's active
    /// installations: the reports' own sum would make "crashed once" 100 % of the installations that crashed.
    /// Enums and quantities are sent once by every reporting installation, so their own total is the base.
    /// </summary>
    private bool SharesOfActives => Metric.Type is MetricType.Counter or MetricType.Flag or MetricType.Histogram && Actives.Count > 0;

    private long Base(PublishedPeriod p) => SharesOfActives ? Actives.GetValueOrDefault(p.Period) : p.Total;

    /// <summary>A value's share in one period, or null when it was not published there (withheld) or there is no base.</summary>
    private double? ShareIn(PublishedPeriod p, string value, bool withheld)
    {
        long b = Base(p);
        var cell = p.Cells.FirstOrDefault(c => c.Value == value && c.Withheld == withheld);
        return cell is null || b <= 0 ? null : Math.Min(1, cell.Count / (double)b);
    }

    /// <summary>What a bar's share is of, written on the chart.</summary>
    private string ShareUnit(PublishedPeriod newest)
    {
        string when = $"in {newest.Period}, the newest complete {PeriodWord}";
        if (SharesOfActives)
            return Metric.Type == MetricType.Histogram
                ? $"Share of the {N(Base(newest))} active installations with a value in each range, {when}"
                : $"Share of the {N(Base(newest))} active installations, {when}";
        return Metric.Type is MetricType.Enum or MetricType.Quantity
            ? $"Share of the {N(newest.Total)} installations that reported it, {when}"
            : $"Share of the {N(newest.Total)} published {Unit}, {when}";
    }

    /// <summary>Values published in some complete periods of the range but not in others (withheld there), with those periods.</summary>
    public IReadOnlyList<(string Label, IReadOnlyList<string> Periods)> Withheld()
    {
        var list = new List<(string, IReadOnlyList<string>)>();
        foreach (var value in ValueText.Ordered(Metric, Final.SelectMany(p => p.Cells).Where(c => !c.Withheld).DistinctBy(c => c.Value)).Select(c => c.Value))
        {
            var missing = Final.Where(p => p.CountOf(value) is null).Select(p => p.Period.ToString()).ToList();
            if (missing.Count > 0)
                list.Add((ValueText.Label(Metric, value), missing));
        }
        return list;
    }

    /// <summary>
    /// Registry values of an enum or flag published in none of the range's complete periods (at 200
    /// installations macOS vanished from every week without a word): named, so absence is not read as zero.
    /// </summary>
    public IReadOnlyList<string> NeverPublished()
    {
        if (Metric.Type is not (MetricType.Enum or MetricType.Flag) || Final.Count == 0)
            return [];
        var shown = Final.SelectMany(p => p.Cells).Where(c => !c.Withheld).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        return Publisher.Domain(Metric).Where(v => !shown.Contains(v)).Select(v => ValueText.Label(Metric, v)).ToList();
    }

    private string? WithheldShort()
    {
        var w = Withheld();
        var never = NeverPublished();
        if (w.Count == 0 && never.Count == 0)
            return null;
        var parts = w.Select(x => $"{x.Label} ({x.Periods.Count} {PeriodWord}{(x.Periods.Count == 1 ? "" : "s")})").Concat(never.Select(v => $"{v} (every {PeriodWord})")).ToList();
        return "Withheld: " + string.Join(", ", parts.Take(3)) + (parts.Count > 3 ? ", ..." : "");
    }

    /// <summary>The withheld values in full, under the chart: which, in which periods, and why.</summary>
    public string WithheldNote()
    {
        var w = Withheld();
        var never = NeverPublished();
        if (w.Count == 0 && never.Count == 0)
            return "";
        var parts = w.Select(x => $"{E(x.Label)} in {E(string.Join(", ", x.Periods))}")
            .Concat(never.Select(v => $"{E(v)} in every {PeriodWord} of the range")).ToList();
        return $"<p class=\"withheld-note\">Withheld (the noisy count was below the publishing threshold, so the value is left out there, not zero; " +
               $"values below it are merged into an \"other (withheld)\" row only when their sum passes a threshold of its own): {string.Join("; ", parts)}.</p>";
    }

    private string Label(PublishedCell c) => c.Withheld ? c.Value : ValueText.Label(Metric, c.Value);

    /// <summary>What a bar counts, in words.</summary>
    public string Unit => Metric.Type switch
    {
        MetricType.Histogram => Metric.Period == MetricPeriod.Week ? "weekly reports with the bucket" : "daily reports with the bucket",
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
                string value = published.TryGetValue(p, out var pp) && pp.CountOf("true") is { } n ? N(n) : "–";
                sb.Append($"<tr><td>{p}</td><td class=\"num\">{(Arriving.Contains(p) ? $"{value} (still arriving)" : value)}</td></tr>");
            }
            return sb.Append("</tbody></table></div></details>").ToString();
        }
        long total = Totals.Sum(c => c.Count);
        bool flagShare = Metric.Type == MetricType.Flag && activeBase > 0;
        string shareHeader = flagShare ? $"Share of the {N(activeBase)} active {Unit}" : $"Share of the {N(total)} published {Unit}";
        sb.Append($"<thead><tr><th scope=\"col\">Value</th><th scope=\"col\" class=\"num\">{E(Capitalize(Unit))}</th><th scope=\"col\" class=\"num\">{E(shareHeader)}</th>")
          .Append("<th scope=\"col\" class=\"num\">Previous range</th><th scope=\"col\" class=\"num\">Change</th></tr></thead><tbody>");
        foreach (var c in Totals)
        {
            long v = c.Count;
            double share = flagShare ? Math.Min(1, v / (double)activeBase) : total == 0 ? 0 : v / (double)total;
            long? before = PreviousTotals.TryGetValue((c.Value, c.Withheld), out var p) ? p.Count : null;
            sb.Append($"<tr><td>{E(Label(c))}</td><td class=\"num\">{N(v)}</td><td class=\"num\">{Pct(share)}</td>")
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

    /// <summary>Which periods of the range are still arriving, and when the Publisher will make them final.</summary>
    public string ArrivingNote()
    {
        if (Pending.Count == 0) return "";
        string which = Pending.Count == 1 ? Pending[0].Period.ToString() : $"{Pending[0].Period} to {Pending[^1].Period}";
        return $"<p class=\"arriving-note pending\">Figures for {which} are still arriving: they will be published on " +
               $"{Pending[0].FinalOn.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)}{(Pending.Count > 1 ? " and after" : "")}.</p>";
    }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
