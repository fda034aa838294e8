using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Candor.Collector.Api;

/// <summary>
/// One kind of RFC 9457 answer: its <c>type</c> URI, HTTP status and title, fixed together. Handlers
/// add only the <c>detail</c> (and the extension members the type documents), so a status or title can
/// no longer drift between two places that answer the same type. Every instance lives in
/// <see cref="ProblemTypes"/>, the catalogue docs/api.md lists.
/// </summary>
public sealed class ProblemType
{
    internal ProblemType(string type, int status, string title)
    {
        Type = type;
        Status = status;
        Title = title;
    }

    public string Type { get; }
    public int Status { get; }
    public string Title { get; }

    /// <summary>The part after <c>urn:candor:problem:</c> (a metrics label, a test's shorthand); the whole URI for foreign types.</summary>
    public string Slug => Type.StartsWith(ProblemTypes.Prefix, StringComparison.Ordinal) ? Type[ProblemTypes.Prefix.Length..] : Type;

    /// <summary>This problem with a human-readable <paramref name="detail"/>.</summary>
    public ProblemHttpResult Answer(string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: Status, title: Title, type: Type, extensions: extensions);

    /// <summary>This problem with a <c>Retry-After</c> header: the types that say "try again later" carry one.</summary>
    public ProblemHttpResult Answer(HttpContext http, string detail, int retryAfterSeconds)
    {
        http.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return Answer(detail);
    }

    public override string ToString() => $"{Status} {Type} ({Title})";
}
