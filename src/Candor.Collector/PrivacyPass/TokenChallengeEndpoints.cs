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
            .WithSummary("The app's token mode and the Privacy Pass challenge and key to fetch tokens for")
            .Produces<TokenChallengeDocument>(StatusCodes.Status200OK);

    private static JsonHttpResult<TokenChallengeDocument> GetChallenge(KnownApp app, HttpContext http, CollectorOptions options, TokenKeyRing ring)
    {
        var snapshot = ring.Current;
        if (snapshot.Newest is { } key)
            http.Response.Headers.WWWAuthenticate = PrivateTokenHeader.Challenge(snapshot.Challenge, key);
        return TypedResults.Json(new TokenChallengeDocument(
            options.TokenModeFor(app.Name).ToString().ToLowerInvariant(),
            PrivateTokenHeader.Encode(snapshot.Challenge.Encoded),
            snapshot.Newest is { } k ? PrivateTokenHeader.Encode(k.Spki) : null,
            snapshot.Challenge.IssuerName), ApiJsonContext.Default.TokenChallengeDocument);
    }
}

/// <summary>What <c>GET /v1/apps/{app}/token-challenge</c> answers (docs/api.md, "Privacy Pass tokens").</summary>
public sealed record TokenChallengeDocument(
    [property: System.Text.Json.Serialization.JsonPropertyName("mode")] string Mode,
    [property: System.Text.Json.Serialization.JsonPropertyName("challenge")] string Challenge,
    [property: System.Text.Json.Serialization.JsonPropertyName("token_key")] string? TokenKey,
    [property: System.Text.Json.Serialization.JsonPropertyName("issuer_name")] string IssuerName);
