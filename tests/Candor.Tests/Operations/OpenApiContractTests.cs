using System.Text.Json;
using System.Text.Json.Nodes;
using Candor.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Tests.Operations;

/// <summary>
/// The OpenAPI document is generated from the endpoints; docs/openapi.json is the committed copy users
/// read. The two must be equal, so an endpoint cannot change the public contract without the change
/// showing in a diff.
/// </summary>
public sealed class OpenApiContractTests
{
    public const string UpdateVariable = "CANDOR_UPDATE_OPENAPI";

    /// <summary>
    /// A collector with every optional route on (Privacy Pass issuer and token challenge, the Oblivious HTTP
    /// gateway), so that the committed document describes every operation a collector can serve; one
    /// without those settings serves the same document minus their paths. DAP's routes follow DAP's own
    /// specification and are left out of the document.
    /// </summary>
    internal static Task<CollectorHost> StartWithEveryRouteAsync() =>
        Candor.Tests.PrivacyPass.TokenKit.StartAsync(Candor.Collector.PrivacyPass.TokenMode.Off,
            configure: o => o.OhttpKeysFile = Path.Combine(Path.GetDirectoryName(o.Database)!, "ohttp-keys.json"));

    [Fact]
    public async Task The_committed_openapi_document_is_what_the_running_collector_serves()
    {
        await using var host = await StartWithEveryRouteAsync();
        var served = Normalize(await host.Client.GetStringAsync("/openapi/v1.json"));
        var file = Path.Combine(RepositoryRoot(), "docs", "openapi.json");
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
            await File.WriteAllTextAsync(file, served);
        var committed = File.Exists(file) ? Normalize(await File.ReadAllTextAsync(file)) : "(missing)";
        Assert.True(committed == served,
            $"docs/openapi.json differs from the document the collector generates from its endpoints. If the endpoint change is intended, " +
            $"regenerate the file with `{UpdateVariable}=1 dotnet test tests/Candor.Tests --filter FullyQualifiedName~OpenApiContractTests`, review the diff and commit it.");
    }

    [Fact]
    public async Task Every_api_route_is_described_with_its_answers_and_problems()
    {
        await using var host = await StartWithEveryRouteAsync();
        var paths = JsonDocument.Parse(await host.Client.GetStringAsync("/openapi/v1.json")).RootElement.GetProperty("paths");
        var ingest = paths.GetProperty("/v1/apps/{app}/reports").GetProperty("post").GetProperty("responses");
        foreach (var status in new[] { "202", "400", "404", "409", "413", "415", "422", "429", "503" })
            Assert.True(ingest.TryGetProperty(status, out _), $"POST /v1/apps/{{app}}/reports does not describe {status}");
        Assert.True(ingest.GetProperty("400").GetProperty("content").TryGetProperty("application/problem+json", out _));
        Assert.True(ingest.GetProperty("202").GetProperty("content").GetProperty("application/json").TryGetProperty("schema", out _));
        var sources = host.App.Services.GetServices(typeof(Microsoft.AspNetCore.Routing.EndpointDataSource)).Cast<Microsoft.AspNetCore.Routing.EndpointDataSource>();
        var routes = sources.SelectMany(s => s.Endpoints).OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Where(r => r.RoutePattern.RawText!.TrimStart('/').StartsWith("v1/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(routes);
        foreach (var route in routes)
        {
            string path = "/" + route.RoutePattern.RawText!.TrimStart('/');
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is not in the OpenAPI document");
            foreach (var method in route.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? [])
                Assert.True(item.TryGetProperty(method.ToLowerInvariant(), out _), $"{method} {path} is not in the OpenAPI document");
        }
    }

    private static string Normalize(string json) =>
        JsonNode.Parse(json)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }).ReplaceLineEndings("\n") + "\n";

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Candor.slnx")))
                return dir.FullName;
        throw new InvalidOperationException("Candor.slnx not found above " + AppContext.BaseDirectory);
    }
}
