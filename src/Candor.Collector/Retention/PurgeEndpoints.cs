using Candor.Collector.Api;
using Candor.Collector.Registry;
using Candor.Collector.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Candor.Collector.Retention;

/// <summary>
/// <c>GET /v1/apps/{app}/purges</c>: the public purge log, so anyone can see raw data really goes away:
/// the day of each purge and the periods it removed, nothing counted (see <see cref="PurgeDocument"/>).
/// </summary>
public static class PurgeEndpoints
{
    public static RouteHandlerBuilder MapPurges(this RouteGroupBuilder apps) =>
        apps.MapGet("/purges", GetPurgesAsync)
            .WithSummary("The public purge log of an app: the day of each purge and the periods it removed")
            .Produces<PurgeLogDocument>(StatusCodes.Status200OK);

    private static async Task<JsonHttpResult<PurgeLogDocument>> GetPurgesAsync(KnownApp app, HttpContext http, IRetentionStore store, CollectorOptions options)
    {
        var purges = await store.ReadPurgesAsync(app.Name, http.RequestAborted);
        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Json(new PurgeLogDocument(app.Name, options.RetentionFor(app.Name),
            purges.Select(p => new PurgeDocument(p.Day.ToString("yyyy-MM-dd"), p.PurgedBefore.ToString("yyyy-MM-dd"))).ToArray()),
            ApiJsonContext.Default.PurgeLogDocument);
    }
}
