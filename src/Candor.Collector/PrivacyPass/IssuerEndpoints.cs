using System.Buffers.Text;
using Candor.Collector.Api;
using Candor.PrivacyPass;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
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
            var keys = ring.Current.Accepted.Select(k => new Dictionary<string, object>
            {
                ["token-type"] = (int)TokenChallenge.TokenTypeBlindRsa,
                ["token-key"] = PrivateTokenHeader.Encode(k.Public.Spki),
                ["not-before"] = k.NotBefore.ToUnixTimeSeconds(),
            }).Reverse().ToArray(); // newest first: RFC 9578 4 lets clients take the first key they support
            var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["issuer-request-uri"] = options.IssuerRequestUri,
                ["token-keys"] = keys,
            });
            http.Response.Headers.CacheControl = "max-age=3600";
            return TypedResults.Bytes(body, DirectoryMediaType);
        });
        app.MapPost(RequestPathDefault, IssueAsync);
    }

    private static async Task<IResult> IssueAsync(HttpContext http, TokenKeyRing ring, IssuanceBudget budget, ClientAddress address)
    {
        if (!string.Equals(http.Request.ContentType, RequestMediaType, StringComparison.OrdinalIgnoreCase))
            return ProblemTypes.Problem(http, 415, "unsupported-media-type", "Unsupported media type",
                $"Send a TokenRequest as Content-Type: {RequestMediaType}.");
        var issuing = ring.Current.Issuing;
        if (issuing?.Private is null)
            return ProblemTypes.Problem(http, 503, "issuer-unavailable", "Issuer unavailable",
                "This issuer holds no signing key right now; retry later.", retryAfterSeconds: 60);

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
                return ProblemTypes.Problem(http, 400, "unknown-token-key", "Unknown token key",
                    $"The request names a token key this issuer does not issue under; fetch {DirectoryPath} again.");
            if (new System.Numerics.BigInteger(request.BlindedMessage, isUnsigned: true, isBigEndian: true) >= issuing.Public.N)
                return ProblemTypes.Problem(http, 400, "malformed-token-request", "Malformed token request",
                    "The blinded message is not a number below the key's modulus.");
        }
        catch (FormatException e)
        {
            return ProblemTypes.Problem(http, 400, "malformed-token-request", "Malformed token request", e.Message);
        }

        // The budget is taken only for a well-formed request, and before the (costly) signature.
        var (taken, retryAfter) = await budget.TryTakeAsync(address.Of(http), 1, http.RequestAborted);
        if (!taken)
            return ProblemTypes.Problem(http, 429, "token-budget-exhausted", "Token budget exhausted",
                "This address has received all the tokens it may get in this period. Retry after the given delay.",
                retryAfterSeconds: Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)));
        try
        {
            return TypedResults.Bytes(TokenIssuer.Issue(issuing.Private, request), ResponseMediaType);
        }
        catch (FormatException e)
        {
            return ProblemTypes.Problem(http, 400, "malformed-token-request", "Malformed token request", e.Message);
        }
    }
}
