using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Candor.Collector.Api;
using Candor.Collector.Registry;
using Candor.Protocol;
using Candor.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Candor.Collector.Publishing;

/// <summary>
/// The public, login-free, cacheable read API: what anyone may know, as JSON and CSV. Every number
/// here comes from <see cref="Publisher"/>.
/// </summary>
public static class PublicEndpoints
{
    private const string CacheControl = "public, max-age=300";

    public static void MapPublic(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/public/apps", ListApps);
        var group = app.MapGroup("/v1/public/apps");
        group.MapGet("/{app}/metrics", ListMetrics);
        group.MapGet("/{app}/metrics/{metric}", GetSeries);
        group.MapGet("/{app}/metrics/{metric}/export.csv", GetSeriesCsv);
        group.MapGet("/{app}/export.csv", GetAppCsv);
    }

    private static IResult ListApps(HttpContext http, RegistryCatalog catalog, Publisher publisher)
    {
        http.Response.Headers.CacheControl = CacheControl;
        return TypedResults.Json(new PublicAppList(
            catalog.Apps.Select(a => new PublicApp(a.App, a.Latest.Registry.Version, a.Latest.Registry.Metrics.Length,
                $"/v1/public/apps/{a.App}/metrics", $"/apps/{a.App}")).ToList(),
            RuleDocument(publisher.Rule)), PublicJsonContext.Default.PublicAppList);
    }

    private static IResult ListMetrics(string app, HttpContext http, RegistryCatalog catalog, Publisher publisher)
    {
        if (catalog.Find(app) is not { } registries)
            return UnknownApp(http, app);
        var r = registries.Latest.Registry;
        http.Response.Headers.CacheControl = CacheControl;
        return TypedResults.Json(new PublicMetricList(r.App, r.Version, RuleDocument(publisher.Rule),
            r.Metrics.Select(m => new PublicMetric(m.Name, m.Type.ToString().ToLowerInvariant(), m.Category, m.Period.ToString().ToLowerInvariant(),
                m.Description, m.Purpose, $"/v1/public/apps/{r.App}/metrics/{m.Name}")).ToList()), PublicJsonContext.Default.PublicMetricList);
    }

    private static async Task<IResult> GetSeries(string app, string metric, string? from, string? to, HttpContext http,
        RegistryCatalog catalog, Publisher publisher, TimeProvider time)
    {
        var (series, problem) = await LoadAsync(app, metric, from, to, http, catalog, publisher, time);
        if (series is null)
            return problem!;
        http.Response.Headers.CacheControl = CacheControl;
        return TypedResults.Json(ToDocument(series), PublicJsonContext.Default.PublicSeries);
    }

    private static async Task<IResult> GetSeriesCsv(string app, string metric, string? from, string? to, HttpContext http,
        RegistryCatalog catalog, Publisher publisher, TimeProvider time)
    {
        var (series, problem) = await LoadAsync(app, metric, from, to, http, catalog, publisher, time);
        if (series is null)
            return problem!;
        var csv = new StringBuilder();
        CsvHeader(csv, series.App, series.RegistryVersion, publisher.Rule, $"{series.Metric.Name} from {series.From} to {series.To}");
        CsvRows(csv, series);
        return Csv(http, csv, $"{series.App}-{series.Metric.Name}.csv");
    }

    private static async Task<IResult> GetAppCsv(string app, HttpContext http, RegistryCatalog catalog, Publisher publisher, TimeProvider time)
    {
        if (catalog.Find(app) is not { } registries)
            return UnknownApp(http, app);
        var r = registries.Latest.Registry;
        var today = Today(time);
        var csv = new StringBuilder();
        CsvHeader(csv, r.App, r.Version, publisher.Rule, "every metric, every period");
        foreach (var m in r.Metrics)
        {
            var all = await publisher.SeriesAsync(r.App, m.Name, PeriodKey.For(m.Period, DateOnly.MinValue), PeriodKey.For(m.Period, today.AddDays(1)), http.RequestAborted);
            CsvRows(csv, all!);
        }
        return Csv(http, csv, $"{r.App}.csv");
    }

    private static async Task<(PublishedSeries?, IResult?)> LoadAsync(string app, string metric, string? from, string? to, HttpContext http,
        RegistryCatalog catalog, Publisher publisher, TimeProvider time)
    {
        if (catalog.Find(app) is not { } registries)
            return (null, UnknownApp(http, app));
        if (registries.Latest.Registry.FindMetric(metric) is not { } def)
            return (null, ProblemTypes.Problem(http, 404, "unknown-metric", "Unknown metric", $"{app} does not collect a metric named '{Cut(metric)}'."));
        if (!PublicRange.TryResolve(def.Period, from, to, Today(time), out var start, out var end, out var error))
            return (null, ProblemTypes.Problem(http, 400, "bad-range", "Bad range", error!));
        return (await publisher.SeriesAsync(registries.App, def.Name, start, end, http.RequestAborted), null);
    }

    private static DateOnly Today(TimeProvider time) => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    private static IResult UnknownApp(HttpContext http, string app) =>
        ProblemTypes.Problem(http, 404, "unknown-app", "Unknown app", $"This collector does not collect for '{Cut(app)}'.");

    private static string Cut(string s) => s.Length <= 64 ? s : s[..64] + "…";

    public static PublicRule RuleDocument(ProtectionRule rule) => new(rule.K, rule.Rounding, rule.Describe());

    public static PublicSeries ToDocument(PublishedSeries s) => new(
        s.App, s.Metric.Name, s.Metric.Type.ToString().ToLowerInvariant(), s.Metric.Period.ToString().ToLowerInvariant(),
        s.RegistryVersion, s.From.ToString(), s.To.ToString(), RuleDocument(s.Rule),
        s.Periods.Select(p => new PublicPeriod(p.Period.ToString(), p.Total,
            p.Cells.Select(c => new PublicCell(c.Value, c.Count, c.Observations, Math.Round(c.Share, 4))).ToList())).ToList());

    private static void CsvHeader(StringBuilder csv, string app, int version, ProtectionRule rule, string scope)
    {
        csv.Append("# Candor open data: ").Append(app).Append(", registry version ").Append(version.ToString(CultureInfo.InvariantCulture))
           .Append(", ").Append(scope).Append('\n');
        csv.Append("# Protection: k = ").Append(rule.K.ToString(CultureInfo.InvariantCulture)).Append(", rounding = ")
           .Append(rule.Rounding.ToString(CultureInfo.InvariantCulture)).Append(". ").Append(rule.Describe()).Append('\n');
        csv.Append("# count: reports carrying the value (for a histogram: having the bucket); observations: a histogram bucket's count\n");
        csv.Append("metric,period,value,count,observations\n");
    }

    private static void CsvRows(StringBuilder csv, PublishedSeries s)
    {
        foreach (var p in s.Periods)
            foreach (var c in p.Cells)
                csv.Append(Field(s.Metric.Name)).Append(',').Append(p.Period.ToString()).Append(',').Append(Field(c.Value)).Append(',')
                   .Append(c.Count.ToString(CultureInfo.InvariantCulture)).Append(',')
                   .Append(c.Observations?.ToString(CultureInfo.InvariantCulture) ?? "").Append('\n');
    }

    /// <summary>RFC 4180 quoting (registry values cannot hold these characters, but the writer does not rely on it).</summary>
    private static string Field(string s) => s.AsSpan().IndexOfAny(",\"\n\r") < 0 ? s : "\"" + s.Replace("\"", "\"\"") + "\"";

    private static IResult Csv(HttpContext http, StringBuilder csv, string fileName)
    {
        http.Response.Headers.CacheControl = CacheControl;
        http.Response.Headers.ContentDisposition = $"inline; filename=\"{fileName}\"";
        return TypedResults.Text(csv.ToString(), "text/csv; charset=utf-8; header=present");
    }
}

public sealed record PublicRule([property: JsonPropertyName("k")] int K, [property: JsonPropertyName("rounding")] int Rounding,
    [property: JsonPropertyName("rule")] string Rule);

public sealed record PublicApp([property: JsonPropertyName("app")] string App, [property: JsonPropertyName("registry_version")] int RegistryVersion,
    [property: JsonPropertyName("metrics")] int Metrics, [property: JsonPropertyName("metrics_url")] string MetricsUrl,
    [property: JsonPropertyName("dashboard_url")] string DashboardUrl);

public sealed record PublicAppList([property: JsonPropertyName("apps")] IReadOnlyList<PublicApp> Apps,
    [property: JsonPropertyName("protection")] PublicRule Protection);

public sealed record PublicMetric([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("category")] string Category, [property: JsonPropertyName("period")] string Period,
    [property: JsonPropertyName("description")] string Description, [property: JsonPropertyName("purpose")] string Purpose,
    [property: JsonPropertyName("url")] string Url);

public sealed record PublicMetricList([property: JsonPropertyName("app")] string App, [property: JsonPropertyName("registry_version")] int RegistryVersion,
    [property: JsonPropertyName("protection")] PublicRule Protection, [property: JsonPropertyName("metrics")] IReadOnlyList<PublicMetric> Metrics);

public sealed record PublicCell([property: JsonPropertyName("value")] string Value, [property: JsonPropertyName("count")] long Count,
    [property: JsonPropertyName("observations"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Observations,
    [property: JsonPropertyName("share")] double Share);

public sealed record PublicPeriod([property: JsonPropertyName("period")] string Period, [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("values")] IReadOnlyList<PublicCell> Values);

public sealed record PublicSeries([property: JsonPropertyName("app")] string App, [property: JsonPropertyName("metric")] string Metric,
    [property: JsonPropertyName("type")] string Type, [property: JsonPropertyName("period")] string Period,
    [property: JsonPropertyName("registry_version")] int RegistryVersion, [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("to")] string To, [property: JsonPropertyName("protection")] PublicRule Protection,
    [property: JsonPropertyName("periods")] IReadOnlyList<PublicPeriod> Periods);

[JsonSerializable(typeof(PublicAppList))]
[JsonSerializable(typeof(PublicMetricList))]
[JsonSerializable(typeof(PublicSeries))]
internal sealed partial class PublicJsonContext : JsonSerializerContext;
