using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Candor.Collector.Api;

/// <summary>
/// Every error the collector answers is RFC 9457 problem+json with one of these <c>type</c> URIs
/// (listed in docs/api.md). Built in one place so that types, titles and statuses stay consistent.
/// </summary>
public static class ProblemTypes
{
    public const string Prefix = "urn:candor:problem:";

    public static ProblemHttpResult Problem(HttpContext http, int status, string slug, string title, string detail,
        IDictionary<string, object?>? extensions = null, int? retryAfterSeconds = null)
    {
        if (retryAfterSeconds is { } s)
            http.Response.Headers.RetryAfter = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(detail: detail, statusCode: status, title: title, type: Prefix + slug, extensions: extensions);
    }
}
