using System.Globalization;
using System.Text;
using Candor.Collector.Publishing;
using Candor.Collector.Registry;
using Candor.Protocol;
using Candor.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static Candor.Collector.Dashboard.Html;

namespace Candor.Collector.Dashboard;

/// <summary>
/// The public dashboard: <c>/</c> lists apps, <c>/apps/{app}</c> shows an app's published figures,
/// <c>/apps/{app}/collected</c> says what is collected and why. Every figure comes from
/// <see cref="Publisher"/>, exactly as the JSON API serves it.
/// </summary>
public static class DashboardEndpoints
{
    /// <summary>Pages load nothing from anywhere: no script, no external style, font or image.</summary>
    private const string ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    public static readonly (string Key, int Weeks, string Label)[] Ranges = [("4w", 4, "4 weeks"), ("12w", 12, "12 weeks"), ("52w", 52, "52 weeks")];

    public static void MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", Home);
        app.MapGet("/apps/{app}", AppPage);
        app.MapGet("/apps/{app}/collected", Collected);
    }

    private static IResult Send(HttpContext http, string html, int status = 200)
    {
        http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        http.Response.Headers.CacheControl = status == 200 ? "public, max-age=300" : "no-store";
        return TypedResults.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    private static IResult NotFound(HttpContext http, string message) =>
        Send(http, Page("Not found", $"<h1>Not found</h1><p>{E(message)}</p><p><a href=\"/\">All apps</a></p>"), 404);

    private static IResult Home(HttpContext http, RegistryCatalog catalog, Publisher publisher)
    {
        var sb = new StringBuilder("<h1>Apps</h1><p class=\"muted\">Every application below publishes what it collects and why; the figures are open to everyone.</p>");
        var apps = catalog.Apps.ToList();
        if (apps.Count == 0)
            sb.Append("<p class=\"empty\">This collector serves no app yet.</p>");
        else
        {
            sb.Append("<table><thead><tr><th>App</th><th class=\"num\">Registry version</th><th class=\"num\">Metrics</th><th>What is collected</th></tr></thead><tbody>");
            foreach (var a in apps)
                sb.Append($"<tr><td><a href=\"/apps/{E(a.App)}\">{E(a.App)}</a></td><td class=\"num\">{a.Latest.Registry.Version}</td><td class=\"num\">{a.Latest.Registry.Metrics.Length}</td><td><a href=\"/apps/{E(a.App)}/collected\">what we collect and why</a></td></tr>");
            sb.Append("</tbody></table>");
        }
        sb.Append($"<p class=\"rule\">{E(PrivacyNote(publisher))}</p>");
        return Send(http, Page("Apps", sb.ToString()));
    }

    private static async Task<IResult> AppPage(string app, string? range, string? from, string? to, HttpContext http,
        RegistryCatalog catalog, Publisher publisher, TimeProvider time)
    {
        if (catalog.Find(app) is not { } registries)
            return NotFound(http, $"This collector does not collect for '{app}'.");
        var registry = registries.Latest.Registry;
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

        // The selected range, in whole ISO weeks, and the range of equal length just before it.
        PeriodKey start, end;
        string? selected = null;
        if (from is not null || to is not null)
        {
            if (!PublicRange.TryResolve(MetricPeriod.Week, from, to, today, out start, out end, out var error))
                return Send(http, Page("Bad range", $"<h1>Bad range</h1><p>{E(error)}</p><p><a href=\"/apps/{E(app)}\">Back</a></p>"), 400);
        }
        else
        {
            var chosen = Ranges.FirstOrDefault(r => r.Key == range);
            if (chosen.Key is null) chosen = Ranges[1];
            selected = chosen.Key;
            end = PeriodKey.WeekOf(today);
            start = PeriodKey.WeekOf(end.Start.AddDays(-7 * (chosen.Weeks - 1)));
        }
        int weeks = (end.Start.DayNumber - start.Start.DayNumber) / 7 + 1;
        var prevEnd = PeriodKey.WeekOf(start.Start.AddDays(-7));
        var prevStart = PeriodKey.WeekOf(prevEnd.Start.AddDays(-7 * (weeks - 1)));

        var sb = new StringBuilder();
        sb.Append($"<h1>{E(registry.App)}</h1><p class=\"muted\">Registry version {registry.Version} · <a href=\"/apps/{E(app)}/collected\">what we collect and why</a> · ")
          .Append($"open data: <a href=\"/v1/public/apps/{E(app)}/export.csv\">CSV</a>, <a href=\"/v1/public/apps/{E(app)}/metrics\">JSON</a></p>");
        RangeNav(sb, app, selected, start, end);
        sb.Append($"<p class=\"muted\">Showing {start} to {end} ({weeks} week{(weeks == 1 ? "" : "s")}), compared with {prevStart} to {prevEnd}: ")
          .Append("in the charts, the thick bar is this range and the thin light bar the previous one.</p>");
        var (weekEpsilon, weekDelta) = publisher.Budget(registries);
        sb.Append($"<p class=\"rule\">{E(PrivacyNote(publisher))} For {E(registry.App)}, one installation's week of reports is protected with ")
          .Append($"epsilon = {E(weekEpsilon.ToString())} and delta = {weekDelta.ToString("G3", CultureInfo.InvariantCulture)} across all its metrics; ")
          .Append($"each metric's own terms are in its <a href=\"/v1/public/apps/{E(app)}/metrics\">JSON</a> and CSV.</p>");

        // Actives first: the adoption figure, counted per day from the built-in flag without any identifier.
        var active = registry.FindMetric(MetricRegistry.ActiveMetricName)!;
        var days = await publisher.SeriesAsync(registries.App, active.Name, PeriodKey.Day(start.Start), PeriodKey.Day(end.End.AddDays(-1)));
        var prevDays = await publisher.SeriesAsync(registries.App, active.Name, PeriodKey.Day(prevStart.Start), PeriodKey.Day(prevEnd.End.AddDays(-1)));
        ActiveSection(sb, days!, prevDays!);
        var weekly = await publisher.SeriesAsync(registries.App, MetricRegistry.ActiveWeekMetricName, start, end);
        var prevWeekly = await publisher.SeriesAsync(registries.App, MetricRegistry.ActiveWeekMetricName, prevStart, prevEnd);
        if (weekly is not null)
            WeeklyActiveSection(sb, weekly, prevWeekly!);
        // Installation-weeks of activity in the range, from published counts only: the base for "share of actives".
        long activeWeeks = weekly?.Final.Sum(p => p.CountOf("true") ?? 0) ?? 0;

        foreach (var category in registry.Categories)
        {
            var metrics = registry.Metrics.Where(m => m.Category == category.Name && !m.BuiltIn).ToList();
            if (metrics.Count == 0) continue;
            sb.Append($"<h2 id=\"category-{E(category.Name)}\">{E(Capitalize(category.Name))}</h2><p class=\"muted\">{E(category.Description)}</p>");
            foreach (var m in metrics)
            {
                var current = await publisher.SeriesAsync(registries.App, m.Name, PeriodKey.For(m.Period, start.Start), PeriodKey.For(m.Period, end.End.AddDays(-1)));
                var previous = await publisher.SeriesAsync(registries.App, m.Name, PeriodKey.For(m.Period, prevStart.Start), PeriodKey.For(m.Period, prevEnd.End.AddDays(-1)));
                MetricSection(sb, app, m, current!, previous!, activeWeeks);
            }
        }
        return Send(http, Page(registry.App, sb.ToString()));
    }

    private static void RangeNav(StringBuilder sb, string app, string? selected, PeriodKey start, PeriodKey end)
    {
        sb.Append("<nav class=\"ranges\" aria-label=\"Date range\">");
        foreach (var (key, _, label) in Ranges)
            sb.Append($"<a href=\"/apps/{E(app)}?range={key}\"{(key == selected ? " aria-current=\"page\"" : "")}>Last {label}</a>");
        sb.Append($"<form method=\"get\" action=\"/apps/{E(app)}\"><label>From <input type=\"week\" name=\"from\" value=\"{start}\"></label>")
          .Append($"<label>to <input type=\"week\" name=\"to\" value=\"{end}\"></label><button type=\"submit\">Show</button></form></nav>");
    }

    private static void ActiveSection(StringBuilder sb, PublishedSeries days, PublishedSeries previous)
    {
        sb.Append("<h2 id=\"actives\">Active installations</h2><p class=\"purpose\">Installations that ran on a day, counted from one anonymous report per day. ")
          .Append("These are installations, not people: one person may use several, and no report carries anything that could tell them apart.</p>");
        PendingNote(sb, days);
        var points = days.Final.Where(p => p.CountOf("true") is not null).Select(p => (p.Period.ToString(), Total: p.CountOf("true")!.Value)).ToList();
        if (points.Count == 0)
        {
            sb.Append("<p class=\"empty\">No day of this range has a published count of daily actives.</p>");
            return;
        }
        var prevPoints = previous.Final.Select(p => p.CountOf("true")).OfType<long>().ToList();
        double mean = points.Average(p => p.Total);
        double prevMean = prevPoints.Count == 0 ? 0 : prevPoints.Average();
        sb.Append($"<p>Average per published day: <strong>{N((long)mean)}</strong>")
          .Append(prevPoints.Count == 0 ? "" : $" (previous range: {N((long)prevMean)}, {Change(mean, prevMean)})").Append("</p>");
        sb.Append(SvgChart.Line("Active installations per day", points));
        sb.Append(points.Count > 14 ? "<details>" : "<details open>");
        sb.Append("<summary>Data</summary><table><thead><tr><th>Day</th><th class=\"num\">Active installations</th></tr></thead><tbody>");
        foreach (var (day, n) in points)
            sb.Append($"<tr><td>{day}</td><td class=\"num\">{N(n)}</td></tr>");
        sb.Append("</tbody></table></details>");
    }

    private static void WeeklyActiveSection(StringBuilder sb, PublishedSeries weeks, PublishedSeries previous)
    {
        sb.Append("<h3 id=\"weekly-actives\">Active installations per week</h3><p class=\"purpose\">Installations that ran at least once in an ISO week, ")
          .Append("from one anonymous report per week. Not the sum of the days: an installation used on five days counts once.</p>");
        var points = weeks.Final.Where(p => p.CountOf("true") is not null).Select(p => (p.Period.ToString(), p.CountOf("true")!.Value)).ToList();
        if (points.Count == 0)
        {
            sb.Append("<p class=\"empty\">No week of this range has a published count of weekly actives.</p>");
            return;
        }
        var prev = previous.Final.Select(p => p.CountOf("true")).OfType<long>().ToList();
        sb.Append(SvgChart.Bars("Active installations per week", points.Select(p => (p.Item1, p.Item2, (long?)null)).ToList()));
        sb.Append(points.Count > 14 ? "<details>" : "<details open>");
        sb.Append("<summary>Data</summary><table><thead><tr><th>Week</th><th class=\"num\">Active installations</th></tr></thead><tbody>");
        foreach (var (week, n) in points)
            sb.Append($"<tr><td>{week}</td><td class=\"num\">{N(n)}</td></tr>");
        sb.Append("</tbody></table></details>");
        if (prev.Count > 0)
            sb.Append($"<p class=\"muted\">Average per published week: {N((long)points.Average(p => p.Item2))} (previous range: {N((long)prev.Average())}).</p>");
    }

    private static void MetricSection(StringBuilder sb, string app, MetricDefinition m, PublishedSeries current, PublishedSeries previous, long activeWeeks)
    {
        sb.Append($"<section class=\"metric\" id=\"metric-{E(m.Name)}\"><h3>{E(m.Description)}</h3>")
          .Append($"<p class=\"purpose\">Why: {E(m.Purpose)} <span class=\"muted\">({E(m.Name)}, {(m.Period == MetricPeriod.Day ? "per day" : "per week")}; ")
          .Append($"<a href=\"/v1/public/apps/{E(app)}/metrics/{E(m.Name)}/export.csv?from={current.From}&amp;to={current.To}\">CSV</a>)</span></p>");
        bool histogram = m.Type == MetricType.Histogram;
        PendingNote(sb, current);
        var totals = current.Totals();
        if (totals.Count == 0)
        {
            sb.Append($"<p class=\"empty\">Nothing in this range passed the publishing threshold ({current.Privacy.Threshold}, noise included).</p></section>");
            return;
        }
        var prev = previous.Totals().ToDictionary(c => (c.Value, c.Withheld));
        long Value(PublishedCell c) => c.Count;
        var rows = totals.Select(c => (c.Withheld ? c.Value : Label(m, c.Value), Value(c), prev.TryGetValue((c.Value, c.Withheld), out var p) ? Value(p) : (long?)null)).ToList();
        string what = histogram ? "Reports with the bucket" : m.Type == MetricType.Flag ? "Installation-periods" : "Reports";
        sb.Append(SvgChart.Bars(m.Description, rows.Select(r => (r.Item1, r.Item2, r.Item3 ?? (prev.Count > 0 ? 0 : null))).ToList()));
        sb.Append($"<details open><summary>Data</summary><table><thead><tr><th>Value</th><th class=\"num\">{what}</th><th class=\"num\">Share</th><th class=\"num\">Previous range</th><th class=\"num\">Change</th></tr></thead><tbody>");
        long total = rows.Sum(r => r.Item2);
        foreach (var (label, value, p) in rows)
            sb.Append($"<tr><td>{E(label)}</td><td class=\"num\">{N(value)}</td><td class=\"num\">{Pct(total == 0 ? 0 : value / (double)total)}</td>")
              .Append($"<td class=\"num\">{(p is { } pv ? N(pv) : "–")}</td><td class=\"num\">{(p is { } pv2 ? Change(value, pv2) : "–")}</td></tr>");
        sb.Append("</tbody></table></details>");
        sb.Append($"<p class=\"muted\">Shares are of {E(current.ShareOf)}.</p>");
        if (m.Type == MetricType.Flag && m.Period == MetricPeriod.Week && activeWeeks > 0 && totals.FirstOrDefault(c => c.Value == "true") is { } used)
            sb.Append($"<p class=\"share-of-actives\">Used in {N(used.Count)} of {N(activeWeeks)} active installation-weeks: <strong>{Pct(Math.Min(1, used.Count / (double)activeWeeks))}</strong> of weekly actives.</p>");
        sb.Append("</section>");
    }

    /// <summary>The privacy rule in one sentence for every page.</summary>
    private static string PrivacyNote(Publisher publisher) =>
        $"Figures are published once per period, {publisher.PublishAfterDays} days after it ends, and then never change; " +
        "each count carries calibrated random noise (differential privacy), and values whose noisy count is below the threshold are merged into one \"other (withheld)\" row.";

    /// <summary>Says which periods of the range are still open, rather than showing their partial figures.</summary>
    private static void PendingNote(StringBuilder sb, PublishedSeries series)
    {
        var pending = series.Periods.Where(p => !p.IsFinal).ToList();
        if (pending.Count > 0)
            sb.Append($"<p class=\"pending\">Figures for {pending[0].Period}{(pending.Count > 1 ? $" to {pending[^1].Period}" : "")} are still arriving: ")
              .Append($"they will be published on {pending[0].FinalOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}{(pending.Count > 1 ? " and after" : "")}.</p>");
    }

    private static string Label(MetricDefinition m, string value)
    {
        if (m.Type == MetricType.Flag) return value == "true" ? "yes" : "no";
        if (m.Transform == NumberTransform.Log10 && int.TryParse(value, out var e)) return $"about 10^{e} ({N((long)Math.Pow(10, e))})";
        if (m.Type is MetricType.Counter or MetricType.Quantity or MetricType.Histogram && long.TryParse(value, out var low))
        {
            int i = m.Buckets.IndexOf(low);
            if (i >= 0 && i < m.Buckets.Length - 1)
                return m.Buckets[i + 1] - 1 == low ? N(low) : $"{N(low)}–{N(m.Buckets[i + 1] - 1)}";
            if (i == m.Buckets.Length - 1) return $"{N(low)} or more";
        }
        return value;
    }

    private static string Change(double now, double before) =>
        before == 0 ? "new" : ((now - before) / before * 100).ToString("+0;-0;0", CultureInfo.InvariantCulture) + " %";

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    private static IResult Collected(string app, HttpContext http, RegistryCatalog catalog, Publisher publisher, TimeProvider time)
    {
        if (catalog.Find(app) is not { } registries)
            return NotFound(http, $"This collector does not collect for '{app}'.");
        var r = registries.Latest.Registry;
        var sb = new StringBuilder();
        sb.Append($"<h1>What {E(r.App)} collects and why</h1>")
          .Append($"<p>This page is generated from the app's metric registry, version {r.Version} (<a href=\"/v1/apps/{E(app)}/registry\">as JSON</a>). ")
          .Append("Nothing is collected unless the user says yes, and the user can turn any category off. Reports are anonymous: ")
          .Append("they carry no identifier of a person, device or installation, and times no finer than a day or a week. ")
          .Append("Values are coarse: a choice from a fixed list, a range rather than a number.</p>")
          .Append($"<p class=\"rule\"><strong>What is published.</strong> {E(PrivacyNote(publisher))}</p>");
        foreach (var category in r.Categories)
        {
            var metrics = r.Metrics.Where(m => m.Category == category.Name).ToList();
            if (metrics.Count == 0) continue;
            sb.Append($"<h2>{E(Capitalize(category.Name))}</h2><p class=\"muted\">{E(category.Description)}</p>");
            foreach (var m in metrics)
            {
                sb.Append($"<h3 id=\"{E(m.Name)}\">{E(m.Name)}</h3><dl class=\"metric\">")
                  .Append($"<dt>What</dt><dd>{E(m.Description)}</dd><dt>Why</dt><dd>{E(m.Purpose)}</dd>")
                  .Append($"<dt>Kind</dt><dd>{E(RegistryDocs.TypeInWords(m.Type))}</dd>")
                  .Append($"<dt>Sent as</dt><dd>{E(ValueInWords(m))}</dd>")
                  .Append($"<dt>How often</dt><dd>{(m.Period == MetricPeriod.Day ? "once per day at most" : "once per ISO week at most")}</dd>")
                  .Append($"<dt>Until</dt><dd>{Until(m, DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime))}</dd>")
                  .Append(m.BuiltIn ? "<dt>Note</dt><dd>Built into every Candor app.</dd>" : "")
                  .Append("</dl>");
            }
        }
        return Send(http, Page($"What {r.App} collects", sb.ToString()));
    }

    private static string Until(MetricDefinition m, DateOnly today) => m.Expires switch
    {
        null => "no end date",
        { } d when d < today => $"no longer collected (expired {d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)})",
        { } d => "collected until " + d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
    };

    private static string ValueInWords(MetricDefinition m) => m.Type switch
    {
        MetricType.Flag => "yes or no",
        MetricType.Enum => "one of: " + string.Join(", ", m.Values),
        _ when m.Transform == NumberTransform.Log10 => "the order of magnitude only, round(log10(x))",
        MetricType.Histogram => "a count for each range: " + RegistryDocs.RangesInWords(m.Buckets),
        _ => "a range: " + RegistryDocs.RangesInWords(m.Buckets),
    };
}
