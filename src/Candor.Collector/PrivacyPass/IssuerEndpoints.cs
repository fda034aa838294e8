using System.Text.Json.Serialization;
using System.Buffers.Text;
using Candor.Collector.Api;
using Candor.PrivacyPass;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Candor.Collector.PrivacyPass;

/// <summary>
/// The token issuer (RFC 9578): its directory (<c>GET /.well-known/private-token-issuer-directory</c>)
/// and its issuance endpoint. The issuer sees the client's address (to count its budget) and a blinded
/// message; it never sees the nonce, the challenge or the token, so the collector that later redeems a
/// token cannot learn which issuance it came from, even when both run in one process.
/// </summary>
public static class IssuerEndpoints
{
    public const string DirectoryPath = "/.well-known/private-token-issuer-directory";
    public const string RequestMediaType = "application/private-token-request";
    public const string ResponseMediaType = "application/private-token-response";
    public const string DirectoryMediaType = "application/private-token-issuer-directory";
    public const string RequestPathDefault = "/v1/private-token-request";

    public static void MapIssuer(this WebApplication app, PrivacyPassOptions options)
    {
        app.MapGet(DirectoryPath, (TokenKeyRing ring, HttpContext http) =>
        {
            var keys = ring.Current.Accepted.Select(k => new IssuerKeyDocument((int)TokenChallenge.TokenTypeBlindRsa,
                PrivateTokenHeader.Encode(k.Public.Spki), k.NotBefore.ToUnixTimeSeconds()))
                .Reverse().ToArray(); // newest first: RFC 9578 4 lets clients take the first key they support
            var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new IssuerDirectoryDocument(options.IssuerRequestUri, keys),
                IssuerJsonContext.Default.IssuerDirectoryDocument);
            http.Response.Headers.CacheControl = "max-age=3600";
            return TypedResults.Bytes(body, DirectoryMediaType);
        }).WithSummary("The issuer's token keys, newest first (RFC 9578, section 4)")
            .Produces<IssuerDirectoryDocument>(StatusCodes.Status200OK, DirectoryMediaType);
        app.MapPost(RequestPathDefault, IssueAsync).WithSummary("Blind-sign one TokenRequest (RFC 9578, section 5.2)")
            .Produces<byte[]>(StatusCodes.Status200OK, ResponseMediaType)
            .ProducesProblems(ProblemTypes.UnsupportedMediaType, ProblemTypes.IssuerUnavailable, ProblemTypes.UnknownTokenKey,
                ProblemTypes.MalformedTokenRequest, ProblemTypes.TokenBudgetExhausted);
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> IssueAsync(HttpContext http, TokenKeyRing ring, IssuanceBudget budget, ClientAddress address)
    {
        if (!string.Equals(http.Request.ContentType, RequestMediaType, StringComparison.OrdinalIgnoreCase))
            return ProblemTypes.UnsupportedMediaType.Answer(
                $"Send a TokenRequest as Content-Type: {RequestMediaType}.");
        var issuing = ring.Current.Issuing;
        if (issuing?.Private is null)
            return ProblemTypes.IssuerUnavailable.Answer(http,
                "This issuer holds no signing key right now; retry later.", 60);

        var body = new byte[3 + issuing.Public.ModulusBytes + 1];
        int read = 0;
        while (read < body.Length)
        {
            int n = await http.Request.Body.ReadAsync(body.AsMemory(read), http.RequestAborted);
            if (n == 0)
                break;
            read += n;
        }
        TokenRequest request;
        try
        {
            request = TokenRequest.Decode(body.AsSpan(0, read), issuing.Public.ModulusBytes);
            if (request.TruncatedTokenKeyId != issuing.Public.KeyId[^1])
                return ProblemTypes.UnknownTokenKey.Answer(
                    $"The request names a token key this issuer does not issue under; fetch {DirectoryPath} again.");
            if (new System.Numerics.BigInteger(request.BlindedMessage, isUnsigned: true, isBigEndian: true) >= issuing.Public.N)
                return ProblemTypes.MalformedTokenRequest.Answer(
                    "The blinded message is not a number below the key's modulus.");
        }
        catch (FormatException e)
        {
            return ProblemTypes.MalformedTokenRequest.Answer(e.Message);
        }

        // The budget is taken only for a well-formed request, and before the (costly) signature.
        var (taken, retryAfter) = await budget.TryTakeAsync(address.Of(http), 1, http.RequestAborted);
        if (!taken)
            return ProblemTypes.TokenBudgetExhausted.Answer(http,
                "This address has received all the tokens it may get in this period. Retry after the given delay.",
                Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)));
        try
        {
            return TypedResults.Bytes(TokenIssuer.Issue(issuing.Private, request), ResponseMediaType);
        }
        catch (FormatException e)
        {
            return ProblemTypes.MalformedTokenRequest.Answer(e.Message);
        }
    }
}

/// <summary>The issuer directory (RFC 9578, section 4), in its registered member names.</summary>
public sealed record IssuerDirectoryDocument(
    [property: JsonPropertyName("issuer-request-uri")] string IssuerRequestUri,
    [property: JsonPropertyName("token-keys")] IReadOnlyList<IssuerKeyDocument> TokenKeys);

/// <summary>One key of the issuer directory.</summary>
public sealed record IssuerKeyDocument(
    [property: JsonPropertyName("token-type")] int TokenType,
    [property: JsonPropertyName("token-key")] string TokenKey,
    [property: JsonPropertyName("not-before")] long NotBefore);

[JsonSerializable(typeof(IssuerDirectoryDocument))]
internal sealed partial class IssuerJsonContext : JsonSerializerContext;
