using Candor.Announcements;
using Candor.Collector.Api;
using Candor.Collector.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Candor.Collector.Announcements;

/// <summary>
/// <c>GET /v1/apps/{app}/announcements</c>: the signed message of the day, served byte for byte as
/// <c>candor announce publish</c> wrote it (the collector holds no signing key).
/// </summary>
public static class AnnouncementEndpoints
{
    public static RouteHandlerBuilder MapAnnouncements(this RouteGroupBuilder apps) =>
        apps.MapGet("/announcements", GetAnnouncements)
            .WithSummary("The signed announcements of an app (message of the day), byte for byte as published")
            .Produces<SignedAnnouncements>(StatusCodes.Status200OK, "application/json")
            .ProducesProblems(ProblemTypes.NoAnnouncements);

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetAnnouncements(KnownApp known, HttpContext http, CollectorOptions options, FetchCounter counter)
    {
        // Only apps from the catalog reach the file system: their ids are registry names, never paths.
        var (registries, app) = (known.Registries, known.Name);
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
        // A device's repeat fetch of the day says so and is not counted (FetchParameterNames.Counted).
        bool repeat = http.Request.Query.TryGetValue(FetchParameterNames.Counted, out var counted) && counted.Count == 1 && counted[0] == "0";
        if (!repeat)
        {
            var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var name in FetchCounter.ParameterMetrics.Keys)
                if (http.Request.Query.TryGetValue(name, out var v) && v.Count == 1 && v[0] is { Length: > 0 and <= 64 } value)
                    parameters[name] = value;
            await counter.CountAsync(registries, parameters);
        }
        // Not cacheable by intermediaries: each fetch is what is counted.
        http.Response.Headers.CacheControl = "private, no-store";
        return TypedResults.Bytes(bytes, "application/json");
    }

    private static ProblemHttpResult NoAnnouncements(HttpContext http, string app) =>
        ProblemTypes.NoAnnouncements.Answer($"Nothing has been published for {app}.");
}
