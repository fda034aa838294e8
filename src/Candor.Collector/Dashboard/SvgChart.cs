using System.Globalization;
using System.Text;
using static Candor.Collector.Dashboard.Html;

namespace Candor.Collector.Dashboard;

/// <summary>
/// Charts as inline SVG, drawn on the server. Each mark has a &lt;title&gt;, which browsers show as a
/// tooltip and screen readers read, so no script is needed; each chart is followed by its table.
/// </summary>
internal static class SvgChart
{
    private static string F(double d) => d.ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>Horizontal bars, one per label; an optional second, lighter bar for the previous range.</summary>
    public static string Bars(string label, IReadOnlyList<(string Label, long Value, long? Previous)> rows)
    {
        const int Width = 640, LabelWidth = 150, RowHeight = 26, ValueWidth = 80;
        bool compare = rows.Any(r => r.Previous is not null);
        int rowHeight = compare ? RowHeight + 10 : RowHeight;
        int height = Math.Max(rows.Count, 1) * rowHeight + 6;
        long max = Math.Max(1, rows.Max(r => Math.Max(r.Value, r.Previous ?? 0)));
        double scale = (Width - LabelWidth - ValueWidth) / (double)max;
        var sb = new StringBuilder();
        sb.Append($"<svg class=\"chart bars\" viewBox=\"0 0 {Width} {height}\" width=\"{Width}\" height=\"{height}\" role=\"img\" aria-label=\"{E(label)}\">");
        for (int i = 0; i < rows.Count; i++)
        {
            var (text, value, previous) = rows[i];
            int y = i * rowHeight + 4;
            sb.Append($"<text x=\"{LabelWidth - 8}\" y=\"{y + 14}\" text-anchor=\"end\">{E(text)}</text>");
            sb.Append($"<rect class=\"bar\" x=\"{LabelWidth}\" y=\"{y}\" width=\"{F(Math.Max(1, value * scale))}\" height=\"18\"><title>{E(text)}: {N(value)}</title></rect>");
            sb.Append($"<text x=\"{F(LabelWidth + value * scale + 6)}\" y=\"{y + 14}\">{N(value)}</text>");
            if (previous is { } p)
                sb.Append($"<rect class=\"bar prev\" x=\"{LabelWidth}\" y=\"{y + 20}\" width=\"{F(Math.Max(1, p * scale))}\" height=\"7\"><title>{E(text)}, previous range: {N(p)}</title></rect>");
        }
        return sb.Append("</svg>").ToString();
    }

    /// <summary>A line over periods (actives per day), with a dot and tooltip per period.</summary>
    public static string Line(string label, IReadOnlyList<(string Label, long Value)> points)
    {
        const int Width = 640, Height = 200, Left = 50, Bottom = 24, Top = 10, Right = 10;
        long max = Math.Max(1, points.Count == 0 ? 1 : points.Max(p => p.Value));
        double step = points.Count > 1 ? (Width - Left - Right) / (double)(points.Count - 1) : 0;
        double Y(long v) => Top + (Height - Top - Bottom) * (1 - v / (double)max);
        var sb = new StringBuilder();
        sb.Append($"<svg class=\"chart line\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\" role=\"img\" aria-label=\"{E(label)}\">");
        sb.Append($"<line class=\"axis\" x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\"/>");
        sb.Append($"<text x=\"{Left - 6}\" y=\"{Top + 10}\" text-anchor=\"end\">{N(max)}</text><text x=\"{Left - 6}\" y=\"{Height - Bottom}\" text-anchor=\"end\">0</text>");
        if (points.Count > 0)
        {
            sb.Append("<polyline class=\"line\" points=\"");
            for (int i = 0; i < points.Count; i++)
                sb.Append(F(Left + i * step)).Append(',').Append(F(Y(points[i].Value))).Append(' ');
            sb.Append("\"/>");
            for (int i = 0; i < points.Count; i++)
                sb.Append($"<circle class=\"dot\" cx=\"{F(Left + i * step)}\" cy=\"{F(Y(points[i].Value))}\" r=\"3.5\"><title>{E(points[i].Label)}: {N(points[i].Value)}</title></circle>");
            sb.Append($"<text x=\"{Left}\" y=\"{Height - 6}\">{E(points[0].Label)}</text>");
            sb.Append($"<text x=\"{Width - Right}\" y=\"{Height - 6}\" text-anchor=\"end\">{E(points[^1].Label)}</text>");
        }
        return sb.Append("</svg>").ToString();
    }
}
