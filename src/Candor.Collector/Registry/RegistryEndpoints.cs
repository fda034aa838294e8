using System.Globalization;
using Candor.Collector.Api;
using Candor.Protocol;
using Candor.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Candor.Collector.Registry;

/// <summary><c>GET /v1/apps/{app}/registry</c>: what this collector accepts for an app, and why.</summary>
internal static class RegistryEndpoints
{
    public static RouteHandlerBuilder MapRegistry(this RouteGroupBuilder apps) =>
        apps.MapGet("/registry", GetRegistry)
            .WithSummary("The published registry of an app: what is collected and why")
            .Produces<RegistryDocument>(StatusCodes.Status200OK)
            .ProducesProblems(ProblemTypes.UnknownRegistryVersion);

    private static Results<JsonHttpResult<RegistryDocument>, ProblemHttpResult> GetRegistry(KnownApp app, int? version, HttpContext http)
    {
        var registries = app.Registries;
        var compiled = version is { } v ? registries.Version(v) : registries.Latest;
        if (compiled is null)
            return ProblemTypes.UnknownRegistryVersion.Answer(
                $"Registry version {version} of {app.Name} is not known; known versions: {string.Join(", ", registries.Versions.Keys.Order())}.");
        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Json(ToDocument(compiled.Registry, registries), ApiJsonContext.Default.RegistryDocument);
    }

    public static RegistryDocument ToDocument(MetricRegistry r, AppRegistries all) => new(
        r.App, r.Version, all.Versions.Keys.Order().ToArray(),
        r.Categories.Select(c => new CategoryDocument(c.Name, c.Description)).ToArray(),
        r.Metrics.Select(m => new MetricDocument(
            m.Name,
            m.Type.ToString().ToLowerInvariant(),
            m.Category,
            m.Period.ToString().ToLowerInvariant(),
            m.Buckets.IsDefaultOrEmpty ? null : m.Buckets,
            m.Values.IsDefaultOrEmpty ? null : m.Values,
            m.Transform == NumberTransform.None ? null : m.Transform.ToString().ToLowerInvariant(),
            m.Description,
            m.Purpose,
            m.Expires?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "never",
            m.BuiltIn)).ToArray());
}
