using System.Text.Json.Nodes;
using Candor.Collector.Api;

namespace Candor.Tests.Operations;

/// <summary>
/// docs/openapi.json (equal to what the collector generates, <see cref="OpenApiContractTests"/>) describes
/// every operation completely: a success answer with its schema, and each problem answer as problem+json
/// naming the catalogue types (<see cref="ProblemTypes"/>) it stands for, with their status.
/// </summary>
public sealed class OpenApiCompletenessTests
{
    private static JsonObject Committed() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(OpenApiContractTests.RepositoryRoot(), "docs", "openapi.json")))!.AsObject();

    private static IEnumerable<(string Path, string Method, JsonObject Responses)> Operations(JsonObject document) =>
        document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject()
            .Where(op => op.Key is "get" or "post" or "put" or "delete" or "patch")
            .Select(op => (path.Key, op.Key.ToUpperInvariant(), op.Value!["responses"]?.AsObject() ?? [])));

    /// <summary>Operations without a 2xx answer whose content has a schema.</summary>
    internal static List<string> MissingSuccessSchemas(JsonObject document) =>
        Operations(document)
            .Where(op => !op.Responses.Any(r => r.Key.StartsWith('2')
                && r.Value!["content"]?.AsObject().Any(c => c.Value!["schema"] is not null) == true))
            .Select(op => $"{op.Method} {op.Path}").ToList();

    /// <summary>API problem answers that are not problem+json, or whose description does not name catalogue types of their status.</summary>
    internal static List<string> UndescribedProblems(JsonObject document)
    {
        var failures = new List<string>();
        foreach (var (path, method, responses) in Operations(document).Where(op => !op.Path.StartsWith("/apps/", StringComparison.Ordinal) && op.Path != "/"))
            foreach (var (status, response) in responses.Where(r => r.Key[0] is '4' or '5'))
            {
                if (response!["content"]?["application/problem+json"] is null)
                    failures.Add($"{method} {path} {status}: not application/problem+json");
                var named = (response["description"]?.GetValue<string>() ?? "").Split("; ", StringSplitOptions.RemoveEmptyEntries)
                    .Select(d => d.Split(' ')[0]).ToList();
                if (named.Count == 0)
                    failures.Add($"{method} {path} {status}: names no problem type");
                foreach (var type in named.Where(t => !ProblemTypes.All.Any(p => p.Type == t && p.Status.ToString() == status)))
                    failures.Add($"{method} {path} {status}: {type} is not a catalogued type with that status");
            }
        return failures;
    }

    [Fact]
    public void Every_operation_has_a_success_answer_with_its_schema()
    {
        var missing = MissingSuccessSchemas(Committed());
        Assert.True(missing.Count == 0, "Operations without a success schema in docs/openapi.json:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void Every_problem_answer_of_the_api_names_its_catalogued_types()
    {
        var failures = UndescribedProblems(Committed());
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void Every_api_route_naming_an_app_documents_the_unknown_app()
    {
        var routes = Operations(Committed()).Where(op => op.Path.StartsWith("/v1/", StringComparison.Ordinal) && op.Path.Contains("{app}", StringComparison.Ordinal)).ToList();
        Assert.True(routes.Count >= 8, $"only {routes.Count} {{app}} routes in the document");
        foreach (var (path, method, responses) in routes)
            Assert.True(responses["404"]?["description"]?.GetValue<string>().Contains(ProblemTypes.UnknownApp.Type) == true,
                $"{method} {path} does not document {ProblemTypes.UnknownApp}");
        var paths = Committed()["paths"]!.AsObject();
        foreach (var (path, method, _) in routes)
            Assert.True(paths[path]![method.ToLowerInvariant()]!["parameters"]?.AsArray()
                    .Any(p => p!["name"]!.GetValue<string>() == "app" && p["in"]!.GetValue<string>() == "path" && p["required"]?.GetValue<bool>() == true) == true,
                $"{method} {path} does not describe its required app path parameter");
    }

    [Fact]
    public void Every_success_of_the_api_has_its_schema_and_the_public_data_api_is_described()
    {
        var paths = Committed()["paths"]!.AsObject();
        foreach (var path in new[] { "/v1/public/apps", "/v1/public/apps/{app}/metrics", "/v1/public/apps/{app}/metrics/{metric}", "/v1/apps/{app}/registry", "/v1/apps/{app}/purges" })
            Assert.NotNull(paths[path]?["get"]?["responses"]?["200"]?["content"]?["application/json"]?["schema"]);
        Assert.NotNull(paths["/v1/public/apps/{app}/export.csv"]?["get"]?["responses"]?["200"]?["content"]?["text/csv"]?["schema"]);
    }

    [Fact]
    public void The_checks_find_an_operation_without_a_schema_and_a_problem_without_its_types()
    {
        // Positive control: the checks above, run on a document with the gaps the old one had, report them.
        var document = JsonNode.Parse("""
            {"paths":{"/v1/apps/{app}/registry":{"get":{"responses":{
                "404":{"description":"Not Found","content":{"application/problem+json":{"schema":{}}}}}}},
              "/v1/public/apps":{"get":{"responses":{"200":{"description":"OK"}}}},
              "/v1/log/key":{"get":{"responses":{"200":{"description":"OK","content":{"text/plain":{"schema":{"type":"string"}}}},
                "404":{"description":"urn:candor:problem:unknown-app (Unknown app); urn:candor:problem:no-such (X)","content":{"text/plain":{}}}}}}}}
            """)!.AsObject();
        Assert.Equal(["GET /v1/apps/{app}/registry", "GET /v1/public/apps"], MissingSuccessSchemas(document));
        var problems = UndescribedProblems(document);
        Assert.Contains(problems, f => f.StartsWith("GET /v1/apps/{app}/registry 404", StringComparison.Ordinal) && f.Contains("not a catalogued", StringComparison.Ordinal));
        Assert.Contains(problems, f => f == "GET /v1/log/key 404: not application/problem+json");
        Assert.Contains(problems, f => f == "GET /v1/log/key 404: urn:candor:problem:no-such is not a catalogued type with that status");
    }
}
