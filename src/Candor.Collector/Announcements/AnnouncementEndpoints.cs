using Candor.Announcements;
using Candor.Collector.Api;
using Candor.Collector.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Candor.Collector.Announcements;

/// <summary>
/// <c>GET /v1/apps/{app}/announcements</c>: the signed message of the day, served byte for byte as
/// <c>candor announce publish</c> wrote it (the collector holds no signing key).
/// </summary>
public static class AnnouncementEndpoints
{
    public static RouteHandlerBuilder MapAnnouncements(this RouteGroupBuilder apps) =>
        apps.MapGet("/announcements", GetAnnouncements);

    private static async Task<IResult> GetAnnouncements(string app, HttpContext http, RegistryCatalog catalog, CollectorOptions options)
    {
        // Only apps from the catalog reach the file system: their ids are registry names, never paths.
        if (catalog.Find(app) is null)
            return ProblemTypes.Problem(http, 404, "unknown-app", "Unknown app", $"This collector does not collect for '{(app.Length > 64 ? app[..64] : app)}'.");
        if (options.AnnouncementsDirectory is not { } directory)
            return NoAnnouncements(http, app);
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(AnnouncementSource.PublishedPath(directory, app), http.RequestAborted);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return NoAnnouncements(http, app);
        }
        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Bytes(bytes, "application/json");
    }

    private static IResult NoAnnouncements(HttpContext http, string app) =>
        ProblemTypes.Problem(http, 404, "no-announcements", "No announcements", $"Nothing has been published for {app}.");
}
