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

    /// <summary>
    /// One column per period (daily or weekly actives). Periods still arriving are drawn hollow and
    /// dashed, never as a drop: their reports are still on their way (clients send 3 to 10 days late).
    /// </summary>
    public static string Columns(string label, IReadOnlyList<ColumnPoint> points, bool standalone = false)
    {
        const int Top = 22, PlotHeight = 120, Height = Top + PlotHeight + 24;
        long max = Math.Max(1, points.Select(p => p.Value ?? 0).DefaultIfEmpty(0).Max());
        var sb = new StringBuilder(Open("columns", label, Height, standalone));
        sb.Append($"<text x=\"0\" y=\"13\" fill=\"{Muted}\">highest: {N(max)}</text>");
        if (points.Any(p => p.Arriving))
            sb.Append($"<text x=\"100%\" y=\"13\" text-anchor=\"end\" fill=\"{Muted}\">dashed: still arriving</text>");
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
