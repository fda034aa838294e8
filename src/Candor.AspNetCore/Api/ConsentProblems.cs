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

    // The catalogue of the consent API's own answers: each type once, with its status and title
    // (ProblemCatalogueTests compares it with docs/account-consent.md). Internal: an application that
    // answers problems of its own uses Problem below with its own slugs.
    internal static readonly ConsentProblem InvalidUser = new("invalid-user", 400, "Invalid user");
    internal static readonly ConsentProblem InsufficientScope = new("insufficient-scope", 403, "Insufficient scope");
    internal static readonly ConsentProblem NoUserId = new("no-user-id", 403, "No user id");
    internal static readonly ConsentProblem UnsupportedMediaType = new("unsupported-media-type", 415, "Unsupported media type");
    internal static readonly ConsentProblem InvalidMetricsOptout = new("invalid-metrics-optout", 400, "Invalid metrics_optout body");

    internal static IReadOnlyList<ConsentProblem> All { get; } = [InvalidUser, InsufficientScope, NoUserId, UnsupportedMediaType, InvalidMetricsOptout];

    /// <summary>A problem+json answer of type <c>urn:candor:problem:</c><paramref name="slug"/>.</summary>
    public static IResult Problem(int status, string slug, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: Prefix + slug);
}

/// <summary>One problem type of the consent API: slug, status and title fixed together.</summary>
internal sealed record ConsentProblem(string Slug, int Status, string Title)
{
    public string Type => ConsentProblems.Prefix + Slug;

    public IResult Answer(string detail) => ConsentProblems.Problem(Status, Slug, Title, detail);
}
