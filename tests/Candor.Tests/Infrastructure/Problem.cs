using System.Net;
using System.Text.Json;

namespace Candor.Tests.Infrastructure;

public static class Problem
{
    /// <summary>Asserts an RFC 9457 answer with the given status and type slug; returns its JSON.</summary>
    public static async Task<JsonElement> AssertAsync(HttpResponseMessage response, HttpStatusCode status, string slug)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal("urn:candor:problem:" + slug, json.GetProperty("type").GetString());
        Assert.Equal((int)status, json.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("detail").GetString()));
        return json;
    }

    /// <summary>The (index, metric, reason) triples of an invalid-reports answer.</summary>
    public static List<(int Index, string? Metric, string Reason)> Errors(JsonElement problem) =>
        problem.GetProperty("errors").EnumerateArray()
            .Select(e => (e.GetProperty("index").GetInt32(), e.GetProperty("metric").GetString(), e.GetProperty("reason").GetString()!))
            .ToList();
}
