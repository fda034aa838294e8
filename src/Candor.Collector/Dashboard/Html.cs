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

    private const string Css = """
        :root { --fg: #1d2330; --muted: #5b6474; --line: #d9dee7; --accent: #2f6fdb; --accent2: #9bb8ee; --bg: #fff; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
        header { padding: .8rem 1.5rem; border-bottom: 1px solid var(--line); }
        .brand { font-weight: 700; color: var(--fg); text-decoration: none; font-size: 1.1rem; }
        .tag { color: var(--muted); margin-left: .5rem; }
        main { max-width: 980px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
        footer { max-width: 980px; margin: 0 auto; padding: 1rem 1.5rem 2rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--line); }
        h1 { font-size: 1.6rem; margin: .5rem 0; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
        h3 { font-size: 1.05rem; margin: 1.5rem 0 .2rem; }
        .muted, .purpose { color: var(--muted); } .purpose { margin: 0 0 .5rem; }
        a { color: var(--accent); }
        nav.ranges { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: .8rem 0; }
        nav.ranges a { padding: .2rem .6rem; border: 1px solid var(--line); border-radius: 4px; text-decoration: none; }
        nav.ranges a[aria-current="page"] { background: var(--accent); color: #fff; border-color: var(--accent); }
        nav.ranges form { display: inline-flex; gap: .3rem; align-items: center; margin-left: .5rem; }
        table { border-collapse: collapse; margin: .4rem 0 1rem; font-size: .9rem; }
        th, td { text-align: left; padding: .15rem .7rem .15rem 0; border-bottom: 1px solid var(--line); }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        details { margin-bottom: .5rem; } summary { cursor: pointer; color: var(--muted); font-size: .85rem; }
        svg { display: block; max-width: 100%; height: auto; }
        svg text { font: 12px system-ui, sans-serif; fill: var(--fg); }
        .bar { fill: var(--accent); } .bar.prev { fill: var(--accent2); } .line { stroke: var(--accent); fill: none; stroke-width: 2; }
        .dot { fill: var(--accent); } .axis { stroke: var(--line); }
        .rule { background: #f4f6fa; border: 1px solid var(--line); border-radius: 6px; padding: .6rem .9rem; font-size: .9rem; }
        .empty { color: var(--muted); font-style: italic; }
        dl.metric { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .3rem 0 1rem; }
        dl.metric dt { color: var(--muted); }
        """;
}
