using Candor.Collector.Api;
using Candor.Collector.Registry;
using Candor.Collector.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Candor.Collector.Retention;

/// <summary>
/// <c>GET /v1/apps/{app}/purges</c>: the public purge log, so anyone can see raw data really goes away:
/// the day of each purge and the periods it removed, nothing counted (see <see cref="PurgeDocument"/>).
/// </summary>
public static class PurgeEndpoints
{
    public static RouteHandlerBuilder MapPurges(this RouteGroupBuilder apps) =>
        apps.MapGet("/purges", GetPurgesAsync);

    private static async Task<IResult> GetPurgesAsync(string app, HttpContext http, RegistryCatalog catalog, IRetentionStore store, CollectorOptions options)
    {
        if (catalog.Find(app) is null)
            return ProblemTypes.Problem(http, 404, "unknown-app", "Unknown app", $"This collector does not collect for '{(app.Length > 64 ? app[..64] : app)}'.");
        var purges = await store.ReadPurgesAsync(app, http.RequestAborted);
        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Json(new PurgeLogDocument(app, options.RetentionFor(app),
            purges.Select(p => new PurgeDocument(p.Day.ToString("yyyy-MM-dd"), p.PurgedBefore.ToString("yyyy-MM-dd"))).ToArray()),
            ApiJsonContext.Default.PurgeLogDocument);
    }
}
