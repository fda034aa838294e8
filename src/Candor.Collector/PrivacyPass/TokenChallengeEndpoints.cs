using System.Buffers.Text;
using Candor.Collector.Api;
using Candor.Collector.Registry;
using Candor.PrivacyPass;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Candor.Collector.PrivacyPass;

/// <summary>
/// <c>GET /v1/apps/{app}/token-challenge</c>: the app's token mode and the challenge and key to fetch
/// tokens for, so a client can fill its wallet at a moment of its own choosing instead of learning
/// the challenge from a refused upload (which would tie the fetch to an upload in time).
/// </summary>
public static class TokenChallengeEndpoints
{
    public static RouteHandlerBuilder MapTokenChallenge(this RouteGroupBuilder apps) =>
        apps.MapGet("/token-challenge", GetChallenge)
            .WithSummary("The app's token mode and the Privacy Pass challenge and key to fetch tokens for");

    private static Results<JsonHttpResult<Dictionary<string, object?>>, ProblemHttpResult> GetChallenge(string app, HttpContext http,
        RegistryCatalog catalog, CollectorOptions options, TokenKeyRing ring)
    {
        if (catalog.Find(app) is null)
            return ProblemTypes.Problem(http, 404, "unknown-app", "Unknown app", "This collector does not collect for this app.");
        var snapshot = ring.Current;
        if (snapshot.Newest is { } key)
            http.Response.Headers.WWWAuthenticate = PrivateTokenHeader.Challenge(snapshot.Challenge, key);
        return TypedResults.Json(new Dictionary<string, object?>
        {
            ["mode"] = options.TokenModeFor(app).ToString().ToLowerInvariant(),
            ["challenge"] = PrivateTokenHeader.Encode(snapshot.Challenge.Encoded),
            ["token_key"] = snapshot.Newest is { } k ? PrivateTokenHeader.Encode(k.Spki) : null,
            ["issuer_name"] = snapshot.Challenge.IssuerName,
        });
    }
}
