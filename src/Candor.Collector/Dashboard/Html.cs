using System.Globalization;
using System.Net;
using System.Text;

namespace Candor.Collector.Dashboard;

/// <summary>
/// The page shell and small helpers for server-rendered pages. Everything user- or registry-supplied
/// goes through <see cref="E"/>; pages load nothing from elsewhere (no CDN, no fonts, no script).
/// </summary>
internal static class Html
{
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    public static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    public static string Pct(double share) => (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %";

    public static string Page(string title, string body)
    {
        var sb = new StringBuilder(body.Length + 4096);
        sb.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\">")
          .Append("<title>").Append(E(title)).Append(" · Candor</title><style>").Append(Css).Append("</style></head><body>")
          .Append("<header><a class=\"brand\" href=\"/\">Candor</a> <span class=\"tag\">open, anonymous metrics</span></header><main>")
          .Append(body)
          .Append("</main><footer>Published by a Candor collector. Nothing on this page identifies anyone: counts come from anonymous ")
          .Append("reports, small groups are withheld, and the same figures are open data (<a href=\"/v1/public/apps\">JSON</a>).</footer>")
          .Append("</body></html>");
        return sb.ToString();
    }

    /// <summary>A bare page for an iframe on another site: the chart, its table and links, no site header.</summary>
    public static string EmbedPage(string title, string body) =>
        new StringBuilder(body.Length + 4096)
            .Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\">")
            .Append("<title>").Append(E(title)).Append(" · Candor</title><style>").Append(Css).Append("</style></head><body class=\"embed\"><main>")
            .Append(body).Append("</main></body></html>").ToString();

    // Charts colour themselves (SvgChart); nothing here may target their parts by a generic class name:
    // ".line" once matched the chart's own <svg class="chart line"> and stroked every label.
    private const string Css = """
        :root { --fg: #1d2330; --muted: #5b6474; --line: #d9dee7; --accent: #2f6fdb; --bg: #fff; --soft: #f4f6fa; }
        * { box-sizing: border-box; }
        html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
        body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); overflow-wrap: anywhere; }
        header { padding: .8rem 1rem; border-bottom: 1px solid var(--line); }
        .brand { font-weight: 700; color: var(--fg); text-decoration: none; font-size: 1.1rem; }
        .tag { color: var(--muted); margin-left: .5rem; }
        main { max-width: 980px; margin: 0 auto; padding: 1rem 1rem 3rem; }
        footer { max-width: 980px; margin: 0 auto; padding: 1rem 1rem 2rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--line); }
        h1 { font-size: 1.6rem; margin: .5rem 0; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
        h3 { font-size: 1.05rem; margin: 1.5rem 0 .2rem; }
        .muted, .purpose { color: var(--muted); } .purpose { margin: 0 0 .5rem; }
        a { color: #1f5fc9; }
        nav.ranges { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: .8rem 0; }
        nav.ranges a { padding: .2rem .6rem; border: 1px solid var(--line); border-radius: 4px; text-decoration: none; }
        nav.ranges a[aria-current="page"] { background: #1f5fc9; color: #fff; border-color: #1f5fc9; }
        nav.ranges form { display: flex; flex-wrap: wrap; gap: .3rem .5rem; align-items: center; }
        nav.ranges input { max-width: 10.5rem; font: inherit; }
        nav.ranges button { font: inherit; padding: .15rem .8rem; }
        .headline-row { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: .8rem; margin: 1rem 0; }
        .tile { border: 1px solid var(--line); border-radius: 8px; padding: .7rem .9rem; background: var(--soft); }
        .tile h2.tile-title { font-size: .9rem; font-weight: 600; margin: 0; border: 0; padding: 0; color: var(--muted); }
        .tile .figure, .headline .figure { font-size: 1.9rem; font-weight: 700; margin: .1rem 0; line-height: 1.2; }
        .tile p { margin: 0; } .tile .what { color: var(--muted); font-size: .85rem; } .tile .change { font-size: .9rem; margin-top: .3rem; }
        .app-card h2 { margin-top: 1.2rem; } .headline { margin: .3rem 0; } .headline .figure { font-size: 1.5rem; }
        .table-wrap { max-width: 100%; overflow-x: auto; }
        table { border-collapse: collapse; margin: .4rem 0 1rem; font-size: .9rem; }
        th, td { text-align: left; padding: .15rem .7rem .15rem 0; border-bottom: 1px solid var(--line); vertical-align: top; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        details { margin-bottom: .5rem; } summary { cursor: pointer; color: var(--muted); font-size: .9rem; padding: .2rem 0; }
        svg.chart { display: block; max-width: 100%; overflow: visible; margin: .3rem 0; }
        svg.chart.spark { margin: .2rem 0; }
        .links { font-size: .85rem; color: var(--muted); margin: .2rem 0; }
        .arriving-note { font-size: .85rem; color: var(--muted); margin: .2rem 0; }
        .rule { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: .6rem .9rem; font-size: .9rem; }
        .empty { color: var(--muted); font-style: italic; }
        dl.metric { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .3rem 0 1rem; }
        dl.metric dt { color: var(--muted); }
        body.embed main { padding: .5rem; } h1.embed-title { font-size: 1.1rem; }
        @media (max-width: 480px) { dl.metric { grid-template-columns: 1fr; } dl.metric dd { margin-left: 0; } h1 { font-size: 1.35rem; } }
        """;
}
