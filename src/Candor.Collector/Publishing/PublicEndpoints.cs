using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Candor.Collector.Api;
using Candor.Collector.Registry;
using Candor.Protocol;
using Candor.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Candor.Collector.Publishing;

/// <summary>
/// The public, login-free, cacheable read API: what anyone may know, as JSON and CSV. Every number
/// here comes from <see cref="Publisher"/>.
/// </summary>
internal static class PublicEndpoints
{
    private const string CacheControl = "public, max-age=300";

    /// <summary>
    /// An answer with a period still releasing will change within minutes: caches may keep it only
    /// briefly, and the Retry-After says when asking again is worth it.
    /// </summary>
    private const string ReleasingCacheControl = "public, max-age=30";
    public const int ReleasingRetryAfterSeconds = 30;

    public static void MapPublic(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/public/apps", ListApps)
            .WithSummary("The apps this collector publishes, with the privacy budget that protects each")
            .Produces<PublicAppList>(StatusCodes.Status200OK);
        var group = app.MapGroup("/v1/public/apps/{app}").RequireKnownApp();
        group.MapGet("/metrics", ListMetrics)
            .WithSummary("An app's metrics with descriptions, purposes and privacy terms")
            .Produces<PublicMetricList>(StatusCodes.Status200OK);
        group.MapGet("/metrics/{metric}", GetSeries)
            .WithSummary("Protected aggregates of one metric, per period")
            .Produces<PublicSeries>(StatusCodes.Status200OK)
            .ProducesProblems(ProblemTypes.UnknownMetric, ProblemTypes.BadRange);
        group.MapGet("/metrics/{metric}/export.csv", GetSeriesCsv)
            .WithSummary("The same aggregates as CSV (open data)")
            .Produces<string>(StatusCodes.Status200OK, CsvMediaType)
            .ProducesProblems(ProblemTypes.UnknownMetric, ProblemTypes.BadRange);
        group.MapGet("/export.csv", GetAppCsv)
            .WithSummary("Every metric of an app, every period of the public horizon, as CSV")
            .Produces<string>(StatusCodes.Status200OK, CsvMediaType);
    }

    private const string CsvMediaType = "text/csv";

    private static JsonHttpResult<PublicAppList> ListApps(HttpContext http, RegistryCatalog catalog, Publisher publisher)
    {
        http.Response.Headers.CacheControl = CacheControl;
        return TypedResults.Json(new PublicAppList(
            catalog.Apps.Select(a => new PublicApp(a.App, a.Latest.Registry.Version, a.Latest.Registry.Metrics.Length,
                $"/v1/public/apps/{a.App}/metrics", $"/apps/{a.App}", BudgetDocument(publisher, a))).ToList(),
            PrivacyStatement.Mechanism), PublicJsonContext.Default.PublicAppList);
    }

    private static JsonHttpResult<PublicMetricList> ListMetrics(KnownApp app, HttpContext http, Publisher publisher)
    {
        var registries = app.Registries;
        var r = registries.Latest.Registry;
        http.Response.Headers.CacheControl = CacheControl;
        return TypedResults.Json(new PublicMetricList(r.App, r.Version, BudgetDocument(publisher, registries),
            r.Metrics.Select(m => new PublicMetric(m.Name, m.Type.ToString().ToLowerInvariant(), m.Category, m.Period.ToString().ToLowerInvariant(),
                m.Description, m.Purpose, $"/v1/public/apps/{r.App}/metrics/{m.Name}", PrivacyDocument(publisher.Statement(registries, m)), Aggregation(m))).ToList()),
            PublicJsonContext.Default.PublicMetricList);
    }

    private static async Task<Results<JsonHttpResult<PublicSeries>, ProblemHttpResult>> GetSeries(KnownApp app, string metric, string? from, string? to, HttpContext http,
        Publisher publisher, ReleaseSignal signal, TimeProvider time)
    {
        var (series, problem) = await LoadAsync(app.Registries, metric, from, to, http, publisher, signal, time);
        if (series is null)
            return problem!;
        Cache(http, series.Releasing);
        return TypedResults.Json(ToDocument(series), PublicJsonContext.Default.PublicSeries);
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> GetSeriesCsv(KnownApp app, string metric, string? from, string? to, HttpContext http,
        Publisher publisher, ReleaseSignal signal, TimeProvider time)
    {
        var (series, problem) = await LoadAsync(app.Registries, metric, from, to, http, publisher, signal, time);
        if (series is null)
            return problem!;
        var csv = new StringBuilder();
        CsvHeader(csv, series.App, series.RegistryVersion, $"{series.Metric.Name} from {series.From} to {series.To}");
        CsvPrivacy(csv, series);
        csv.Append(CsvColumns);
        CsvRows(csv, series);
        return Csv(http, csv, $"{series.App}-{series.Metric.Name}.csv", series.Releasing);
    }

    /// <summary>
    /// Every metric over the longest public range (<see cref="PublicRange.MaxDays"/>) ending today: the
    /// heaviest public read, and still only reads of stored releases (one per metric) plus at most one
    /// bounded wait for the release job.
    /// </summary>
    private static async Task<ContentHttpResult> GetAppCsv(KnownApp app, HttpContext http, Publisher publisher, ReleaseSignal signal, TimeProvider time)
    {
        var r = app.Registries.Latest.Registry;
        var today = Today(time);
        var csv = new StringBuilder();
        CsvHeader(csv, r.App, r.Version, $"every metric, every period from {today.AddDays(-PublicRange.MaxDays):yyyy-MM-dd} to {today:yyyy-MM-dd}");
        var series = new List<PublishedSeries>();
        var wait = signal.NewWait();
        foreach (var m in r.Metrics)
        {
            var s = (await publisher.SeriesAsync(r.App, m.Name, PublicRange.Horizon(m.Period, today), PeriodKey.For(m.Period, today), wait, http.RequestAborted))!;
            series.Add(s);
            CsvPrivacy(csv, s);
        }
        csv.Append(CsvColumns);
        foreach (var s in series)
            CsvRows(csv, s);
        return Csv(http, csv, $"{r.App}.csv", series.Any(s => s.Releasing));
    }

    private static async Task<(PublishedSeries?, ProblemHttpResult?)> LoadAsync(AppRegistries registries, string metric, string? from, string? to, HttpContext http,
        Publisher publisher, ReleaseSignal signal, TimeProvider time)
    {
        if (registries.Latest.Registry.FindMetric(metric) is not { } def)
            return (null, ProblemTypes.UnknownMetric.Answer($"{registries.App} does not collect a metric named '{Cut(metric)}'."));
        if (!PublicRange.TryResolve(def.Period, from, to, Today(time), out var start, out var end, out var error))
            return (null, ProblemTypes.BadRange.Answer(error!));
        return (await publisher.SeriesAsync(registries.App, def.Name, start, end, signal.NewWait(), http.RequestAborted), null);
    }

    private static DateOnly Today(TimeProvider time) => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    private static string Cut(string s) => s.Length <= 64 ? s : s[..64] + "…";

    public static PublicBudget BudgetDocument(Publisher publisher, AppRegistries app)
    {
        var (epsilon, delta) = publisher.Budget(app);
        var budget = publisher.BudgetOf(app);
        return new PublicBudget(epsilon.ToDecimal(), delta, budget.PerYear.ToDecimal(),
            FormattableString.Invariant($"Across all of {app.App}'s metrics, one installation's reports of one ISO week are protected with epsilon = {epsilon} ") +
            FormattableString.Invariant($"and delta = {delta:G3}, and a year of {PrivacyBudget.WeeksPerYear} weeks with epsilon = {budget.PerYear}: the weekly total is split equally over the {budget.Units} metric-periods of a week (daily metrics count seven times), {budget.PerMetricPeriod} each."));
    }

    public static PublicPrivacy PrivacyDocument(PrivacyStatement p) => new(PrivacyStatement.Mechanism, p.Epsilon.ToDecimal(), p.CellEpsilon.ToString(),
        p.Delta, p.Threshold, p.Rounding, p.PublishAfterDays, p.EpsilonPerWeek.ToDecimal(), p.DeltaPerWeek, p.EpsilonPerYear.ToDecimal(), p.Describe());

    public static PublicSeries ToDocument(PublishedSeries s) => new(
        s.App, s.Metric.Name, s.Metric.Type.ToString().ToLowerInvariant(), s.Metric.Period.ToString().ToLowerInvariant(),
        s.RegistryVersion, s.From.ToString(), s.To.ToString(), PrivacyDocument(s.Privacy), s.ShareOf,
        s.Periods.Select(p => new PublicPeriod(p.Period.ToString(), p.StateName, p.FinalOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            p.IsFinal ? p.Total : null, p.Epsilon, p.Threshold,
            p.Cells.Select(c => new PublicCell(c.Value, c.Count, Math.Round(c.Share, 4), c.Withheld ? true : null)).ToList())).ToList(),
        Aggregation(s.Metric));

    private const string CsvColumns = "metric,period,state,value,count,share,aggregation\n";

    /// <summary>How a metric's counts were aggregated: <c>split-trust</c> (Prio3 over DAP: no server saw a report's value) or <c>plain</c>.</summary>
    public static string Aggregation(MetricDefinition def) => def.SplitTrust is null ? "plain" : "split-trust";

    private static void CsvHeader(StringBuilder csv, string app, int version, string scope)
    {
        csv.Append("# Candor open data: ").Append(app).Append(", registry version ").Append(version.ToString(CultureInfo.InvariantCulture))
           .Append(", ").Append(scope).Append('\n');
        csv.Append("# Every final period is listed (a line with an empty value when nothing passed the threshold); pending periods are not published yet;\n");
        csv.Append("# releasing periods are final but their release is still being made: ask again in a few minutes.\n");
        csv.Append("# count: noisy count of reports carrying the value (histograms: having the bucket); 'other (withheld)' merges the values below the threshold.\n");
    }

    private static void CsvPrivacy(StringBuilder csv, PublishedSeries s)
    {
        csv.Append("# Privacy of ").Append(s.Metric.Name).Append(": epsilon = ").Append(s.Privacy.Epsilon.ToString())
           .Append(", delta = ").Append(s.Privacy.Delta.ToString("G3", CultureInfo.InvariantCulture))
           .Append(", threshold = ").Append(s.Privacy.Threshold.ToString(CultureInfo.InvariantCulture))
           .Append(", per installation per week across the app: epsilon = ").Append(s.Privacy.EpsilonPerWeek.ToString())
           .Append(", delta = ").Append(s.Privacy.DeltaPerWeek.ToString("G3", CultureInfo.InvariantCulture))
           .Append(", per installation per year (").Append(PrivacyBudget.WeeksPerYear.ToString(CultureInfo.InvariantCulture)).Append(" weeks): epsilon = ")
           .Append(s.Privacy.EpsilonPerYear.ToString()).Append(". ")
           .Append(s.Privacy.Describe()).Append(" Shares are of ").Append(s.ShareOf).Append(".\n");
    }

    private static void CsvRows(StringBuilder csv, PublishedSeries s)
    {
        foreach (var p in s.Periods)
        {
            string head = Field(s.Metric.Name) + "," + p.Period + "," + p.StateName + ",";
            string aggregation = "," + Aggregation(s.Metric) + "\n";
            if (p.Cells.Count == 0)
                csv.Append(head).Append(",,").Append(aggregation);
            foreach (var c in p.Cells)
                csv.Append(head).Append(Field(c.Value)).Append(',').Append(c.Count.ToString(CultureInfo.InvariantCulture)).Append(',')
                   .Append(Math.Round(c.Share, 4).ToString(CultureInfo.InvariantCulture)).Append(aggregation);
        }
    }

    /// <summary>RFC 4180 quoting (registry values cannot hold these characters, but the writer does not rely on it).</summary>
    private static string Field(string s) => s.AsSpan().IndexOfAny(",\"\n\r") < 0 ? s : "\"" + s.Replace("\"", "\"\"") + "\"";

    private static void Cache(HttpContext http, bool releasing)
    {
        http.Response.Headers.CacheControl = releasing ? ReleasingCacheControl : CacheControl;
        if (releasing)
            http.Response.Headers.RetryAfter = ReleasingRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
    }

    private static ContentHttpResult Csv(HttpContext http, StringBuilder csv, string fileName, bool releasing)
    {
        Cache(http, releasing);
        http.Response.Headers.ContentDisposition = $"inline; filename=\"{fileName}\"";
        return TypedResults.Text(csv.ToString(), "text/csv; charset=utf-8; header=present");
    }
}

/// <summary>The privacy terms of one metric's releases, in every public document that carries its figures.</summary>
public sealed record PublicPrivacy([property: JsonPropertyName("mechanism")] string Mechanism,
    [property: JsonPropertyName("epsilon")] decimal Epsilon, [property: JsonPropertyName("epsilon_per_value")] string EpsilonPerValue,
    [property: JsonPropertyName("delta")] double Delta, [property: JsonPropertyName("threshold")] long Threshold,
    [property: JsonPropertyName("rounding")] int Rounding, [property: JsonPropertyName("publish_after_days")] int PublishAfterDays,
    [property: JsonPropertyName("epsilon_per_installation_per_week")] decimal EpsilonPerWeek,
    [property: JsonPropertyName("delta_per_installation_per_week")] double DeltaPerWeek,
    [property: JsonPropertyName("epsilon_per_installation_per_year")] decimal EpsilonPerYear,
    [property: JsonPropertyName("statement")] string Statement);

/// <summary>What one installation's week costs across all of an app's metrics.</summary>
public sealed record PublicBudget([property: JsonPropertyName("epsilon_per_installation_per_week")] decimal EpsilonPerWeek,
    [property: JsonPropertyName("delta_per_installation_per_week")] double DeltaPerWeek,
    [property: JsonPropertyName("epsilon_per_installation_per_year")] decimal EpsilonPerYear, [property: JsonPropertyName("statement")] string Statement);

public sealed record PublicApp([property: JsonPropertyName("app")] string App, [property: JsonPropertyName("registry_version")] int RegistryVersion,
    [property: JsonPropertyName("metrics")] int Metrics, [property: JsonPropertyName("metrics_url")] string MetricsUrl,
    [property: JsonPropertyName("dashboard_url")] string DashboardUrl, [property: JsonPropertyName("privacy")] PublicBudget Privacy);

public sealed record PublicAppList([property: JsonPropertyName("apps")] IReadOnlyList<PublicApp> Apps,
    [property: JsonPropertyName("mechanism")] string Mechanism);

public sealed record PublicMetric([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("category")] string Category, [property: JsonPropertyName("period")] string Period,
    [property: JsonPropertyName("description")] string Description, [property: JsonPropertyName("purpose")] string Purpose,
    [property: JsonPropertyName("url")] string Url, [property: JsonPropertyName("privacy")] PublicPrivacy Privacy,
    [property: JsonPropertyName("aggregation")] string Aggregation);

public sealed record PublicMetricList([property: JsonPropertyName("app")] string App, [property: JsonPropertyName("registry_version")] int RegistryVersion,
    [property: JsonPropertyName("privacy")] PublicBudget Privacy, [property: JsonPropertyName("metrics")] IReadOnlyList<PublicMetric> Metrics);

public sealed record PublicCell([property: JsonPropertyName("value")] string Value, [property: JsonPropertyName("count")] long Count,
    [property: JsonPropertyName("share")] double Share,
    [property: JsonPropertyName("withheld"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Withheld);

public sealed record PublicPeriod([property: JsonPropertyName("period")] string Period, [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("final_on")] string FinalOn, [property: JsonPropertyName("total")] long? Total,
    [property: JsonPropertyName("epsilon"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Epsilon,
    [property: JsonPropertyName("threshold"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Threshold,
    [property: JsonPropertyName("values")] IReadOnlyList<PublicCell> Values);

public sealed record PublicSeries([property: JsonPropertyName("app")] string App, [property: JsonPropertyName("metric")] string Metric,
    [property: JsonPropertyName("type")] string Type, [property: JsonPropertyName("period")] string Period,
    [property: JsonPropertyName("registry_version")] int RegistryVersion, [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("to")] string To, [property: JsonPropertyName("privacy")] PublicPrivacy Privacy,
    [property: JsonPropertyName("share_of")] string ShareOf,
    [property: JsonPropertyName("periods")] IReadOnlyList<PublicPeriod> Periods,
    [property: JsonPropertyName("aggregation")] string Aggregation);

[JsonSerializable(typeof(PublicAppList))]
[JsonSerializable(typeof(PublicMetricList))]
[JsonSerializable(typeof(PublicSeries))]
internal sealed partial class PublicJsonContext : JsonSerializerContext;
