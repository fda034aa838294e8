using System.Globalization;
using System.Text;
using Candor.Collector.Publishing;
using Candor.Collector.Registry;
using Candor.Protocol;
using Candor.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using static Candor.Collector.Dashboard.Html;

namespace Candor.Collector.Dashboard;

/// <summary>
/// The public dashboard: <c>/</c> lists apps with their headline figures, <c>/apps/{app}</c> answers
/// first (a headline row) then shows one section per category, <c>/apps/{app}/collected</c> says what is
/// collected and why, and <c>/apps/{app}/charts/{metric}</c> (<c>.svg</c>) serves one chart to embed on
/// other sites. Every figure comes from <see cref="Publisher"/>, exactly as the JSON API serves it;
/// pages only pick, order, label and compare published numbers.
/// </summary>
public static class DashboardEndpoints
{
    /// <summary>Pages load nothing from anywhere: no script, no external style, font or image.</summary>
    private const string ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    /// <summary>The embeddable chart page may be framed by any site: that is what it is for. It still loads nothing.</summary>
    private const string EmbedPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors *";

    /// <summary>The name of the registry metric whose newest value is "the newest version" in the headline.</summary>
    public const string VersionMetricName = MetricView.VersionMetricName;

    /// <summary>Active installations per complete period, from an activity view (empty without one).</summary>
    private static Dictionary<Candor.Protocol.PeriodKey, long> ActivesOf(MetricView? activity) =>
        activity is null ? [] : activity.Current.Final.Where(p => p.CountOf("true") is not null).ToDictionary(p => p.Period, MetricView.Active);

    public static void MapDashboard(this IEndpointRouteBuilder app)
    {
        // Pages, not API: every answer, errors included, is HTML (or SVG) for a person, never problem+json.
        app.MapGet("/", Home).WithSummary("The public dashboard: every app with its headline figures").Produces<string>(200, HtmlMediaType);
        app.MapGet("/apps/{app}", AppPage).WithSummary("One app's dashboard over a range of periods")
            .Produces<string>(200, HtmlMediaType).Produces<string>(400, HtmlMediaType).Produces<string>(404, HtmlMediaType);
        app.MapGet("/apps/{app}/collected", Collected).WithSummary("What the app collects and why, generated from its registry")
            .Produces<string>(200, HtmlMediaType).Produces<string>(404, HtmlMediaType);
        app.MapGet("/apps/{app}/charts/{metric}.svg", ChartSvg).WithSummary("One chart as a standalone SVG image")
            .Produces<string>(200, "image/svg+xml").Produces<string>(400, HtmlMediaType).Produces<string>(404, HtmlMediaType);
        app.MapGet("/apps/{app}/charts/{metric}", ChartPage).WithSummary("One chart with its table, as a page to frame")
            .Produces<string>(200, HtmlMediaType).Produces<string>(400, HtmlMediaType).Produces<string>(404, HtmlMediaType);
    }

    private const string HtmlMediaType = "text/html";

    private static ContentHttpResult Send(HttpContext http, CachedPage page, string policy = ContentSecurityPolicy)
    {
        http.Response.Headers.ContentSecurityPolicy = policy;
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        http.Response.Headers["X-Content-Type-Options"] = "nosniff";
        http.Response.Headers.CacheControl = page.Status == 200 ? "public, max-age=60" : "no-store";
        return TypedResults.Content(page.Body, page.ContentType, Encoding.UTF8, page.Status);
    }

    private static CachedPage HtmlPage(string title, string body, int status = 200) => new(Page(title, body), "text/html; charset=utf-8", status);

    private static CachedPage NotFound(string message) =>
        HtmlPage("Not found", $"<h1>Not found</h1><p>{E(message)}</p><p><a href=\"/\">All apps</a></p>", 404);

    private static string CacheKey(HttpContext http) => http.Request.Path.Value + http.Request.QueryString.Value;

    private static DateOnly Today(TimeProvider time) => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    // ---- Home ----

    private static async Task<ContentHttpResult> Home(HttpContext http, RegistryCatalog catalog, Publisher publisher, CollectorOptions options, PageCache cache, TimeProvider time) =>
        Send(http, await cache.GetOrRenderAsync(CacheKey(http), async () =>
        {
            var sb = new StringBuilder("<h1>Apps</h1><p class=\"muted\">Every application below publishes what it collects and why; the figures are open to everyone. ")
                .Append("They count installations, not people: one person may use several, and no report can tell them apart.</p>");
            var apps = catalog.Apps.ToList();
            if (apps.Count == 0)
                sb.Append("<p class=\"empty\">This collector serves no app yet.</p>");
            var range = RangeSelection.Resolve(null, null, null, Today(time), out _)!;
            var wait = publisher.NewWait();
            foreach (var a in apps)
            {
                var registry = a.Latest.Registry;
                sb.Append($"<section class=\"app-card\" aria-labelledby=\"app-{E(a.App)}\"><h2 id=\"app-{E(a.App)}\"><a href=\"/apps/{E(a.App)}\">{E(a.App)}</a></h2>");
                var weekly = registry.FindMetric(MetricRegistry.ActiveWeekMetricName) is { } w
                    ? await MetricView.LoadAsync(publisher, a.App, w, range, wait, http.RequestAborted) : null;
                if (weekly is { HasFigures: true })
                {
                    var newest = weekly.Final[^1];
                    long now = MetricView.Active(newest);
                    var before = weekly.Final.Count > 1 ? weekly.Final[^2] : null;
                    sb.Append($"<p class=\"headline\"><strong class=\"figure\">{N(now)}</strong> active installations in {newest.Period}, the newest complete week")
                      .Append(before is null ? "" : $" <span class=\"change\">({ValueText.Change(now, MetricView.Active(before))} on {before.Period})</span>").Append("</p>");
                    var points = weekly.Current.Periods.Where(p => p.CountOf("true") is not null || weekly.Arriving.Contains(p.Period))
                        .Select(p => new ColumnPoint(p.Period.ToString(), p.CountOf("true"), weekly.Arriving.Contains(p.Period))).ToList();
                    sb.Append(SvgChart.Sparkline($"Active installations per week, {range.Start} to {range.End}", points));
                }
                else
                    sb.Append($"<p class=\"empty\">No figures yet: a week is published {publisher.PublishAfterDays} days after it ends, once its reports are in, and a figure is shown only when enough installations report it.</p>");
                sb.Append($"<p class=\"muted\">Registry version {registry.Version}, {registry.Metrics.Length} metrics · <a href=\"/apps/{E(a.App)}/collected\">what we collect and why</a></p></section>");
            }
            sb.Append($"<p class=\"rule\">{E(PrivacyNote(publisher))}</p>");
            return HtmlPage("Apps", sb.ToString());
        }));

    // ---- App page ----

    private static async Task<ContentHttpResult> AppPage(string app, string? range, string? from, string? to, HttpContext http,
        RegistryCatalog catalog, Publisher publisher, CollectorOptions options, PageCache cache, TimeProvider time) =>
        Send(http, await cache.GetOrRenderAsync(CacheKey(http), async () =>
        {
            if (catalog.Find(app) is not { } registries)
                return NotFound($"This collector does not collect for '{app}'.");
            var registry = registries.Latest.Registry;
            if (RangeSelection.Resolve(range, from, to, Today(time), out var error) is not { } selection)
                return HtmlPage("Bad range", $"<h1>Bad range</h1><p>{E(error)}</p><p><a href=\"/apps/{E(app)}\">Back</a></p>", 400);
            var cancel = http.RequestAborted;
            var wait = publisher.NewWait();

            var sb = new StringBuilder();
            sb.Append($"<h1>{E(registry.App)}</h1><p class=\"muted\">Registry version {registry.Version} · <a href=\"/apps/{E(app)}/collected\">what we collect and why</a> · ")
              .Append($"open data: <a href=\"/v1/public/apps/{E(app)}/export.csv\">CSV</a>, <a href=\"/v1/public/apps/{E(app)}/metrics\">JSON</a></p>");
            RangeNav(sb, app, selection);

            var daily = await MetricView.LoadAsync(publisher, registries.App, registry.FindMetric(MetricRegistry.ActiveMetricName)!, selection, wait, cancel);
            var weekly = registry.FindMetric(MetricRegistry.ActiveWeekMetricName) is { } wm ? await MetricView.LoadAsync(publisher, registries.App, wm, selection, wait, cancel) : null;
            var version = registry.FindMetric(VersionMetricName) is { Type: MetricType.Enum } vm ? await MetricView.LoadAsync(publisher, registries.App, vm, selection, wait, cancel) : null;
            if (version is not null)
                version.Actives = ActivesOf(weekly);
            Headline(sb, daily!, weekly, version, publisher.PublishAfterDays);

            sb.Append($"<p class=\"muted\">Showing {selection.Start} to {selection.End} ({selection.Weeks} week{(selection.Weeks == 1 ? "" : "s")}), compared with {selection.PreviousStart} to {selection.PreviousEnd}. ")
              .Append("In bar charts the thick bar is this range and the thin light bar under it the previous one. ")
              .Append($"Periods whose reports are still arriving (published {publisher.PublishAfterDays} days after they end) are drawn dashed and left out of totals and changes.</p>");
            var (weekEpsilon, weekDelta) = publisher.Budget(registries);
            var budget = publisher.BudgetOf(registries);
            sb.Append($"<p class=\"rule\">{E(PrivacyNote(publisher))} For {E(registry.App)}, one installation's week of reports is protected with ")
              .Append($"<span class=\"budget-week\">epsilon = {E(weekEpsilon.ToString())} per week</span> and delta = {weekDelta.ToString("G3", CultureInfo.InvariantCulture)} across all its metrics, ")
              .Append($"<span class=\"budget-year\">epsilon = {E(budget.PerYear.ToString())} per year</span> ({PrivacyBudget.WeeksPerYear} weeks); ")
              .Append($"the weekly total is split equally over the {budget.Units} metric-periods of a week (daily metrics count seven times). ")
              .Append($"Each metric's own terms are in its <a href=\"/v1/public/apps/{E(app)}/metrics\">JSON</a> and CSV.</p>");

            // Actives first: the adoption figures, counted from the built-in flags without any identifier.
            sb.Append("<h2 id=\"actives\">Active installations</h2><p class=\"purpose\">Installations that ran on a day, counted from one anonymous report per day. ")
              .Append("These are installations, not people: one person may use several, and no report carries anything that could tell them apart.</p>");
            ActivitySection(sb, daily!, "daily-actives", "Per day");
            if (weekly is not null)
            {
                sb.Append("<p class=\"purpose\">Per ISO week, from one anonymous report per week: not the sum of the days, since an installation used on five days counts once.</p>");
                ActivitySection(sb, weekly, "weekly-actives", "Per week");
            }
            long activeWeeks = weekly?.Final.Sum(MetricView.Active) ?? 0;
            long activeDays = daily!.Final.Sum(MetricView.Active);

            foreach (var category in registry.Categories)
            {
                var metrics = registry.Metrics.Where(m => m.Category == category.Name && !m.BuiltIn).ToList();
                if (metrics.Count == 0) continue;
                sb.Append($"<h2 id=\"category-{E(category.Name)}\">{E(Capitalize(category.Name))}</h2><p class=\"muted\">{E(category.Description)}</p>");
                foreach (var m in metrics)
                {
                    var view = await MetricView.LoadAsync(publisher, registries.App, m, selection, wait, cancel);
                    view!.Actives = ActivesOf(m.Period == MetricPeriod.Week ? weekly : daily);
                    MetricSection(sb, view, m.Period == MetricPeriod.Week ? activeWeeks : activeDays);
                }
            }
            return HtmlPage(registry.App, sb.ToString());
        }));

    private static void RangeNav(StringBuilder sb, string app, RangeSelection selection)
    {
        sb.Append("<nav class=\"ranges\" aria-label=\"Date range\">");
        foreach (var (key, _, label) in RangeSelection.Presets)
            sb.Append($"<a href=\"/apps/{E(app)}?range={key}\"{(key == selection.Preset ? " aria-current=\"page\"" : "")}>Last {label}</a>");
        sb.Append($"<form method=\"get\" action=\"/apps/{E(app)}\"><label>From <input type=\"week\" name=\"from\" value=\"{selection.Start}\"></label>")
          .Append($"<label>to <input type=\"week\" name=\"to\" value=\"{selection.End}\"></label><button type=\"submit\">Show</button></form></nav>");
    }

    /// <summary>
    /// The answers first: daily and weekly actives over the range's complete periods, the newest
    /// version's adoption, each with its change against the previous range.
    /// </summary>
    private static void Headline(StringBuilder sb, MetricView daily, MetricView? weekly, MetricView? version, int publishAfterDays)
    {
        sb.Append("<section class=\"headline-row\" aria-label=\"Headline figures\">");
        bool any = false;
        if (daily.Final.Count > 0)
        {
            double mean = daily.Final.Average(MetricView.Active);
            string change = daily.PreviousFinal.Count > 0 ? ValueText.Change(mean, daily.PreviousFinal.Average(MetricView.Active)) + " on the previous range" : "no previous range to compare";
            Tile(sb, "daily", "Daily active installations", N((long)mean), $"average of {daily.Final.Count} complete day{(daily.Final.Count == 1 ? "" : "s")}", change);
            any = true;
        }
        if (weekly is { Final.Count: > 0 })
        {
            var newest = weekly.Final[^1];
            double mean = weekly.Final.Average(MetricView.Active);
            string change = weekly.PreviousFinal.Count > 0 ? ValueText.Change(mean, weekly.PreviousFinal.Average(MetricView.Active)) + " on the previous range (weekly average)" : "no previous range to compare";
            Tile(sb, "weekly", "Weekly active installations", N(MetricView.Active(newest)), $"in {newest.Period}, the newest complete week", change);
            any = true;
        }
        if (version is { Final.Count: > 0 } && version.Metric.Values.LastOrDefault(v => v != "other") is { } newestVersion)
        {
            var last = version.Final[^1];
            long all = last.Total, on = last.CountOf(newestVersion) ?? 0;
            var first = version.Final[0];
            long firstAll = first.Total, firstOn = first.CountOf(newestVersion) ?? 0;
            string change = version.Final.Count > 1 && firstAll > 0 ? $"was {Pct(firstOn / (double)firstAll)} in {first.Period}" : "";
            Tile(sb, "version", $"On the newest version, {newestVersion}", all == 0 ? "–" : Pct(on / (double)all), $"of the {N(all)} installations that reported a version in {last.Period}", change);
            any = true;
        }
        if (!any)
            sb.Append("<p class=\"empty\">Nothing to show for this range yet. A day or week is published once its reports are in, ")
              .Append($"{publishAfterDays} days after it ends (clients send theirs days late, on purpose), and a figure is shown only when enough installations report it. ")
              .Append("A report sent today is stored and will count then; it is not lost.</p>");
        sb.Append("</section>");
    }

    private static void Tile(StringBuilder sb, string id, string title, string figure, string what, string change) =>
        sb.Append($"<div class=\"tile\" id=\"headline-{id}\"><h2 class=\"tile-title\">{E(title)}</h2><p class=\"figure\">{figure}</p><p class=\"what\">{E(what)}</p>")
          .Append(change.Length == 0 ? "" : $"<p class=\"change\">{E(change)}</p>").Append("</div>");

    private static void ActivitySection(StringBuilder sb, MetricView view, string id, string title)
    {
        sb.Append($"<section class=\"metric\" id=\"{id}\"><h3>{E(title)}</h3>");
        if (!view.HasFigures && view.Arriving.Count == 0)
        {
            sb.Append("<p class=\"empty\">Not enough reports in this range to publish this.</p></section>");
            return;
        }
        sb.Append(view.Chart()).Append(view.Links()).Append(view.Table()).Append("</section>");
    }

    private static void MetricSection(StringBuilder sb, MetricView view, long activeBase)
    {
        var m = view.Metric;
        sb.Append($"<section class=\"metric\" id=\"metric-{E(m.Name)}\"><h3>{E(m.Description)}</h3>")
          .Append($"<p class=\"purpose\">Why: {E(m.Purpose)} <span class=\"muted\">({E(m.Name)}, {(m.Period == MetricPeriod.Day ? "per day" : "per week")})</span></p>");
        if (m.SplitTrust is { } split)
            sb.Append($"<p class=\"split-trust\"><strong>Split trust:</strong> each device sent this value as two secret shares, one to {E(split.Leader.Host)} and one to {E(split.Helper.Host)}; ")
              .Append("no server saw any device's value, only the total of many (Prio3 over DAP).</p>");
        if (!view.HasFigures)
        {
            sb.Append($"<p class=\"empty\">Nothing in this range passed the publishing threshold ({view.Current.Privacy.Threshold}, noise included), or its periods are still arriving.</p>")
              .Append(view.ArrivingNote()).Append("</section>");
            return;
        }
        sb.Append(view.Chart()).Append(view.WithheldNote()).Append(view.ArrivingNote()).Append(view.Links()).Append(view.Table(activeBase))
          .Append($"<p class=\"muted share-of\">Shares in the table are of {E(m.Type == MetricType.Flag && activeBase > 0 ? $"the active {view.Unit} of the range's final periods" : view.Current.ShareOf)}.</p>");
        if (m.Type == MetricType.Flag && activeBase > 0 && view.Totals.FirstOrDefault(c => c.Value == "true") is { } used)
            sb.Append($"<p class=\"share-of-actives\">Used in {N(used.Count)} of {N(activeBase)} active {view.Unit}: <strong>{Pct(Math.Min(1, used.Count / (double)activeBase))}</strong> of {(m.Period == MetricPeriod.Week ? "weekly" : "daily")} actives.</p>");
        sb.Append("</section>");
    }

    // ---- Embeddable charts ----

    private static async Task<(MetricView? View, CachedPage? Problem)> ChartAsync(string app, string metric, string? range, string? from, string? to,
        HttpContext http, RegistryCatalog catalog, Publisher publisher, CollectorOptions options, TimeProvider time)
    {
        if (catalog.Find(app) is not { } registries)
            return (null, NotFound($"This collector does not collect for '{app}'."));
        if (registries.Latest.Registry.FindMetric(metric) is not { } def)
            return (null, NotFound($"{app} has no metric named '{(metric.Length > 64 ? metric[..64] : metric)}'."));
        if (RangeSelection.Resolve(range, from, to, Today(time), out var error) is not { } selection)
            return (null, HtmlPage("Bad range", $"<h1>Bad range</h1><p>{E(error)}</p>", 400));
        var wait = publisher.NewWait();
        var view = (await MetricView.LoadAsync(publisher, registries.App, def, selection, wait, http.RequestAborted))!;
        // Shares of installations need the actives of the metric's granularity, as on the app page.
        string activity = def.Period == MetricPeriod.Week ? MetricRegistry.ActiveWeekMetricName : MetricRegistry.ActiveMetricName;
        if (!view.IsActivity && registries.Latest.Registry.FindMetric(activity) is { } am)
            view.Actives = ActivesOf(await MetricView.LoadAsync(publisher, registries.App, am, selection, wait, http.RequestAborted));
        return (view, null);
    }

    /// <summary>One chart as a standalone SVG image, for <c>&lt;img src&gt;</c> on a project's own site.</summary>
    private static async Task<ContentHttpResult> ChartSvg(string app, string metric, string? range, string? from, string? to, HttpContext http,
        RegistryCatalog catalog, Publisher publisher, CollectorOptions options, PageCache cache, TimeProvider time)
    {
        var page = await cache.GetOrRenderAsync(CacheKey(http), async () =>
        {
            var (view, problem) = await ChartAsync(app, metric, range, from, to, http, catalog, publisher, options, time);
            return problem ?? new CachedPage(view!.Chart(standalone: true), "image/svg+xml; charset=utf-8");
        });
        // Any site may show the image; it runs nothing and loads nothing.
        if (page.Status == 200)
            http.Response.Headers.AccessControlAllowOrigin = "*";
        return Send(http, page, "default-src 'none'; style-src 'unsafe-inline'");
    }

    /// <summary>One chart with its table and links, as a small page any site may put in an iframe.</summary>
    private static async Task<ContentHttpResult> ChartPage(string app, string metric, string? range, string? from, string? to, HttpContext http,
        RegistryCatalog catalog, Publisher publisher, CollectorOptions options, PageCache cache, TimeProvider time)
    {
        var page = await cache.GetOrRenderAsync(CacheKey(http), async () =>
        {
            var (view, problem) = await ChartAsync(app, metric, range, from, to, http, catalog, publisher, options, time);
            if (problem is not null) return problem;
            var v = view!;
            var body = new StringBuilder($"<h1 class=\"embed-title\">{E(v.Metric.Description)}</h1><p class=\"muted\">{E(v.App)}, {v.Current.From} to {v.Current.To}. ")
                .Append("Installations, not people; published by a Candor collector from anonymous reports. The chart's first line says what its figures are of.</p>")
                .Append(v.Chart()).Append(v.WithheldNote()).Append(v.ArrivingNote()).Append(v.Links()).Append(v.Table())
                .Append($"<p class=\"muted\"><a href=\"/apps/{E(v.App)}\" target=\"_top\">All figures for {E(v.App)}</a></p>");
            return new CachedPage(EmbedPage(v.Metric.Description, body.ToString()), "text/html; charset=utf-8");
        });
        return Send(http, page, page.Status == 200 ? EmbedPolicy : ContentSecurityPolicy);
    }

    /// <summary>The privacy rule in one sentence for every page.</summary>
    private static string PrivacyNote(Publisher publisher) =>
        $"Figures are published once per period, {publisher.PublishAfterDays} days after it ends, and then never change; " +
        "each count carries calibrated random noise (differential privacy), and values whose noisy count is below the threshold are merged into one \"other (withheld)\" row.";

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    // ---- What is collected ----

    private static ContentHttpResult Collected(string app, HttpContext http, RegistryCatalog catalog, Publisher publisher, TimeProvider time)
    {
        if (catalog.Find(app) is not { } registries)
            return Send(http, NotFound($"This collector does not collect for '{app}'."));
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
        return Send(http, HtmlPage($"What {r.App} collects", sb.ToString()));
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
