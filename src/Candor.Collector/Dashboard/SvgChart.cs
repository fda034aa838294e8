using System.Globalization;
using System.Text;
using static Candor.Collector.Dashboard.Html;

namespace Candor.Collector.Dashboard;

/// <summary>
/// Charts as SVG, drawn on the server. Horizontal positions are percentages and text is never inside a
/// viewBox, so a chart fills any width while its text stays at 12 CSS px: a scaled viewBox shrank the
/// labels to 6 px on a 390 px phone. Colours are presentation attributes rather than page CSS, so the
/// same markup works inline and as a standalone image embedded on another site (where a page rule such
/// as <c>.line</c> once restyled every label). Each mark has a &lt;title&gt;, read by screen readers and
/// shown as a tooltip, so no script is needed; each chart on a page is followed by its table.
/// </summary>
internal static class SvgChart
{
    public const string Accent = "#2f6fdb", Previous = "#8aa9e0", Ink = "#1d2330", Muted = "#5b6474", Line = "#d9dee7";

    private const string Font = "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\" font-size=\"12\"";

    private static string F(double d) => d.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>The opening tag: inline (fills its container) or standalone (fixed width, own namespace).</summary>
    private static string Open(string kind, string label, int height, bool standalone) => standalone
        ? $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart {kind}\" width=\"640\" height=\"{height}\" role=\"img\" aria-label=\"{E(label)}\" {Font}><title>{E(label)}</title><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
        : $"<svg class=\"chart {kind}\" width=\"100%\" height=\"{height}\" role=\"img\" aria-label=\"{E(label)}\" {Font}>";

    /// <summary>
    /// Horizontal bars, one per row, each with its label above it and its value at the right; when rows
    /// carry a previous value, a thin lighter bar under each shows the previous range.
    /// </summary>
    public static string Bars(string label, IReadOnlyList<BarRow> rows, bool standalone = false)
    {
        bool compare = rows.Any(r => r.Previous is not null);
        int rowHeight = compare ? 44 : 36;
        int height = Math.Max(rows.Count, 1) * rowHeight + 4;
        long max = Math.Max(1, rows.Count == 0 ? 1 : rows.Max(r => Math.Max(r.Value, r.Previous ?? 0)));
        var sb = new StringBuilder(Open("bars", label, height, standalone));
        for (int i = 0; i < rows.Count; i++)
        {
            var (text, value, previous) = rows[i];
            int y = i * rowHeight;
            sb.Append($"<text x=\"0\" y=\"{y + 13}\" fill=\"{Ink}\">{E(text)}</text>")
              .Append($"<text x=\"100%\" y=\"{y + 13}\" text-anchor=\"end\" fill=\"{Ink}\">{N(value)}{(previous is { } pv ? $" (before: {N(pv)})" : "")}</text>")
              .Append($"<rect x=\"0\" y=\"{y + 18}\" width=\"{F(Math.Max(0.3, value * 100.0 / max))}%\" height=\"12\" fill=\"{Accent}\"><title>{E(text)}: {N(value)}</title></rect>");
            if (previous is { } p)
                sb.Append($"<rect x=\"0\" y=\"{y + 32}\" width=\"{F(Math.Max(0.3, p * 100.0 / max))}%\" height=\"6\" fill=\"{Previous}\"><title>{E(text)}, previous range: {N(p)}</title></rect>");
        }
        return sb.Append("</svg>").ToString();
    }

    private static string Pct1(double share) => (share * 100).ToString(share < 0.1 ? "0.0" : "0", CultureInfo.InvariantCulture) + " %";

    /// <summary>The chart's unit, first line of every chart, so an embedded image says what it counts.</summary>
    private static string UnitLine(string unit, int y) => $"<text class=\"unit\" x=\"0\" y=\"{y}\" fill=\"{Muted}\">{E(unit)}</text>";

    /// <summary>Which values were withheld in which periods, last line of the chart (the page says it in full).</summary>
    private static string WithheldLine(string? note, int y) =>
        note is null ? "" : $"<text class=\"withheld-note\" x=\"0\" y=\"{y}\" fill=\"{Muted}\">{E(note)}</text>";

    /// <summary>
    /// Horizontal bars of shares, largest first: the newest complete period's share of each value, with
    /// the share in the range's first period beside it for the trend. <paramref name="unit"/> names what
    /// the share is of; <paramref name="withheld"/> names the values withheld in some periods.
    /// </summary>
    public static string ShareBars(string label, string unit, string? trendPeriod, IReadOnlyList<ShareRow> rows, string? withheld, bool standalone = false)
    {
        const int RowHeight = 36, Top = 22;
        int height = Top + Math.Max(rows.Count, 1) * RowHeight + (withheld is null ? 4 : 22);
        double max = Math.Max(0.0001, rows.Count == 0 ? 1 : rows.Max(r => Math.Max(r.Share, r.First ?? 0)));
        var sb = new StringBuilder(Open("bars shares", label, height, standalone)).Append(UnitLine(unit, 13));
        for (int i = 0; i < rows.Count; i++)
        {
            var (text, share, first) = rows[i];
            int y = Top + i * RowHeight;
            string trend = trendPeriod is null ? "" : first is { } f ? $" (was {Pct1(f)} in {trendPeriod})" : $" (none published in {trendPeriod})";
            sb.Append($"<text x=\"0\" y=\"{y + 13}\" fill=\"{Ink}\">{E(text)}</text>")
              .Append($"<text x=\"100%\" y=\"{y + 13}\" text-anchor=\"end\" fill=\"{Ink}\">{Pct1(share)}<tspan fill=\"{Muted}\">{E(trend)}</tspan></text>")
              .Append($"<rect x=\"0\" y=\"{y + 18}\" width=\"{F(Math.Max(0.3, share * 100.0 / max))}%\" height=\"12\" fill=\"{Accent}\"><title>{E(text)}: {Pct1(share)}{E(trend)}</title></rect>");
        }
        return sb.Append(WithheldLine(withheld, height - 6)).Append("</svg>").ToString();
    }

    private static readonly string[] Palette = ["#2f6fdb", "#d9730d", "#2b9348", "#9b2fae", "#c92a2a", "#5c677d", "#0b7285", "#a47c00"];

    /// <summary>
    /// One line per series over the periods (a version's adoption per week), shares from 0 to the highest,
    /// with a legend naming each series and its newest share. Gaps (withheld periods) are not joined.
    /// </summary>
    public static string Lines(string label, string unit, IReadOnlyList<string> periods, IReadOnlyList<SeriesLine> series, string? withheld, bool standalone = false)
    {
        const int Top = 22, PlotHeight = 120, LegendRow = 18;
        int legendTop = Top + PlotHeight + 24;
        int height = legendTop + series.Count * LegendRow + (withheld is null ? 4 : 22);
        double max = Math.Max(0.01, series.SelectMany(s => s.Shares).Max(v => v ?? 0));
        int n = Math.Max(periods.Count - 1, 1);
        var sb = new StringBuilder(Open("lines", label, height, standalone)).Append(UnitLine(unit, 13));
        sb.Append($"<text x=\"100%\" y=\"13\" text-anchor=\"end\" fill=\"{Muted}\">top: {Pct1(max)}</text>");
        sb.Append($"<svg x=\"0\" y=\"{Top}\" width=\"100%\" height=\"{PlotHeight}\" viewBox=\"0 0 {n * 100} {PlotHeight}\" preserveAspectRatio=\"none\">");
        for (int s = 0; s < series.Count; s++)
        {
            string colour = Palette[s % Palette.Length];
            sb.Append($"<g class=\"series\" data-series=\"{E(series[s].Label)}\">");
            // One polyline per run of published periods: a withheld week is a gap, not a dip to zero.
            var run = new List<string>();
            void Flush()
            {
                if (run.Count > 0)
                    sb.Append($"<polyline points=\"{string.Join(' ', run)}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" vector-effect=\"non-scaling-stroke\"><title>{E(series[s].Label)}</title></polyline>");
                run.Clear();
            }
            for (int i = 0; i < periods.Count; i++)
            {
                if (series[s].Shares[i] is { } v)
                    run.Add($"{F(periods.Count == 1 ? 50 : i * 100)},{F(PlotHeight - v * PlotHeight / max)}");
                else
                    Flush();
            }
            Flush();
            sb.Append("</g>");
        }
        sb.Append("</svg>");
        sb.Append($"<line x1=\"0\" y1=\"{Top + PlotHeight}\" x2=\"100%\" y2=\"{Top + PlotHeight}\" stroke=\"{Line}\"/>");
        if (periods.Count > 0)
        {
            sb.Append($"<text x=\"0\" y=\"{Top + PlotHeight + 16}\" fill=\"{Ink}\">{E(periods[0])}</text>");
            if (periods.Count > 1)
                sb.Append($"<text x=\"100%\" y=\"{Top + PlotHeight + 16}\" text-anchor=\"end\" fill=\"{Ink}\">{E(periods[^1])}</text>");
        }
        for (int s = 0; s < series.Count; s++)
        {
            int y = legendTop + s * LegendRow;
            string newest = series[s].Shares.LastOrDefault(v => v is not null) is { } last ? Pct1(last) : "withheld";
            sb.Append($"<rect x=\"0\" y=\"{y}\" width=\"12\" height=\"4\" fill=\"{Palette[s % Palette.Length]}\"/>")
              .Append($"<text class=\"legend\" x=\"18\" y=\"{y + 6}\" fill=\"{Ink}\">{E(series[s].Label)}: {newest} in the newest week</text>");
        }
        return sb.Append(WithheldLine(withheld, height - 6)).Append("</svg>").ToString();
    }

    /// <summary>
    /// One column per period (daily or weekly actives). Periods still arriving are drawn hollow and
    /// dashed, never as a drop: their reports are still on their way (clients send 3 to 10 days late).
    /// </summary>
    public static string Columns(string label, string unit, IReadOnlyList<ColumnPoint> points, bool standalone = false)
    {
        const int Top = 40, PlotHeight = 120, Height = Top + PlotHeight + 24;
        long max = Math.Max(1, points.Select(p => p.Value ?? 0).DefaultIfEmpty(0).Max());
        var sb = new StringBuilder(Open("columns", label, Height, standalone)).Append(UnitLine(unit, 13));
        sb.Append($"<text x=\"0\" y=\"31\" fill=\"{Muted}\">highest: {N(max)}</text>");
        if (points.Any(p => p.Arriving))
            sb.Append($"<text x=\"100%\" y=\"31\" text-anchor=\"end\" fill=\"{Muted}\">dashed: still arriving</text>");
        int n = Math.Max(points.Count, 1);
        // The plot alone is scaled (columns stretch with the width); text stays outside it at its own size.
        sb.Append($"<svg x=\"0\" y=\"{Top}\" width=\"100%\" height=\"{PlotHeight}\" viewBox=\"0 0 {n * 10} {PlotHeight}\" preserveAspectRatio=\"none\">");
        for (int i = 0; i < points.Count; i++)
        {
            var (period, value, arriving) = points[i];
            if (value is null && !arriving)
                continue; // nothing published for a complete period (a weekend, or withheld): a gap, not a column
            double h = value is { } v ? Math.Max(1, v * (double)PlotHeight / max) : PlotHeight;
            string what = arriving ? "still arriving, not published yet" : N(value ?? 0);
            sb.Append(arriving
                ? $"<rect x=\"{i * 10 + 1}\" y=\"{F(PlotHeight - h)}\" width=\"8\" height=\"{F(h)}\" fill=\"#eef2f9\" stroke=\"{Muted}\" stroke-width=\"1\" stroke-dasharray=\"3 2\" vector-effect=\"non-scaling-stroke\" class=\"arriving\"><title>{E(period)}: {what}</title></rect>"
                : $"<rect x=\"{i * 10 + 1}\" y=\"{F(PlotHeight - h)}\" width=\"8\" height=\"{F(h)}\" fill=\"{Accent}\"><title>{E(period)}: {what}</title></rect>");
        }
        sb.Append("</svg>");
        sb.Append($"<line x1=\"0\" y1=\"{Top + PlotHeight}\" x2=\"100%\" y2=\"{Top + PlotHeight}\" stroke=\"{Line}\"/>");
        if (points.Count > 0)
        {
            sb.Append($"<text x=\"0\" y=\"{Height - 6}\" fill=\"{Ink}\">{E(points[0].Period)}</text>");
            if (points.Count > 1)
                sb.Append($"<text x=\"100%\" y=\"{Height - 6}\" text-anchor=\"end\" fill=\"{Ink}\">{E(points[^1].Period)}</text>");
        }
        return sb.Append("</svg>").ToString();
    }

    /// <summary>A small trend for the home page: columns only, no text (the figure beside it says the number).</summary>
    public static string Sparkline(string label, IReadOnlyList<ColumnPoint> points)
    {
        const int Height = 36;
        long max = Math.Max(1, points.Select(p => p.Value ?? 0).DefaultIfEmpty(0).Max());
        int n = Math.Max(points.Count, 1);
        var sb = new StringBuilder($"<svg class=\"chart spark\" width=\"120\" height=\"{Height}\" viewBox=\"0 0 {n * 10} {Height}\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{E(label)}\">");
        for (int i = 0; i < points.Count; i++)
        {
            var (period, value, arriving) = points[i];
            if (value is null && !arriving)
                continue;
            double h = value is { } v ? Math.Max(1, v * (double)Height / max) : Height;
            sb.Append(arriving
                ? $"<rect x=\"{i * 10 + 1}\" y=\"{F(Height - h)}\" width=\"8\" height=\"{F(h)}\" fill=\"#eef2f9\" stroke=\"{Muted}\" stroke-dasharray=\"3 2\" vector-effect=\"non-scaling-stroke\"><title>{E(period)}: still arriving</title></rect>"
                : $"<rect x=\"{i * 10 + 1}\" y=\"{F(Height - h)}\" width=\"8\" height=\"{F(h)}\" fill=\"{Accent}\"><title>{E(period)}: {N(value ?? 0)}</title></rect>");
        }
        return sb.Append("</svg>").ToString();
    }
}
