using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Candor.Collector.Api;

/// <summary>
/// Serves the OpenAPI 3.1 description of the collector at <c>/openapi/v1.json</c>. It is written by
/// hand (Api/openapi.json) because it is the public contract: a test checks that every mapped route
/// is described in it, so the two cannot drift apart.
/// </summary>
public static class OpenApiDocument
{
    public const string Path = "/openapi/v1.json";

    private static readonly Lazy<byte[]> Document = new(() =>
    {
        using var s = typeof(OpenApiDocument).Assembly.GetManifestResourceStream("Candor.Collector.Api.openapi.json")
            ?? throw new InvalidOperationException("openapi.json is not embedded.");
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    });

    public static void Map(WebApplication app) =>
        app.MapGet(Path, () => TypedResults.Bytes(Document.Value, "application/json"));
}
