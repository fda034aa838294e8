using Microsoft.AspNetCore.Http;

namespace Candor.AspNetCore.Api;

/// <summary>
/// Every error the consent API answers itself is RFC 9457 problem+json with a
/// <c>urn:candor:problem:&lt;slug&gt;</c> type, like the collector's (docs/account-consent.md lists them).
/// </summary>
public static class ConsentProblems
{
    /// <summary>The start of every problem type the consent API answers.</summary>
    public const string Prefix = "urn:candor:problem:";

    /// <summary>A problem+json answer of type <c>urn:candor:problem:</c><paramref name="slug"/>.</summary>
    public static IResult Problem(int status, string slug, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: Prefix + slug);
}
