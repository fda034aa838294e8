using System.Text.Json;
using Candor.AspNetCore.Consent;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Candor.AspNetCore.Api;

/// <summary>
/// <c>GET /v1/metrics_optout</c> (own preference, or <c>?user=ID</c> with the read scope) and
/// <c>POST /v1/metrics_optout</c> with exactly <c>{ "metrics_optout": null | false | true }</c>.
/// Both answer <c>{ "metrics_optout": ... }</c>.
/// </summary>
public static class MetricsOptoutEndpoints
{
    /// <summary>The route of both operations.</summary>
    public const string Path = "/v1/metrics_optout";

    /// <summary>A body larger than this is not a preference.</summary>
    private const int MaxBodyBytes = 1024;

    /// <summary>Maps <c>GET</c> and <c>POST /v1/metrics_optout</c>, both behind the app's authorization (docs/account-consent.md).</summary>
    public static RouteGroupBuilder MapCandorConsent(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup(Path).RequireAuthorization().WithTags("metrics_optout");
        group.MapGet("", GetAsync);
        group.MapPost("", PostAsync).DisableAntiforgery();
        return group;
    }

    private static async Task<IResult> GetAsync(HttpContext http, IMetricsGate gate, ConsentPreferences preferences,
        IAuthorizationService authorization, string? user)
    {
        if (!TryUser(http, out var self, out var problem))
            return problem;
        if (user is not null && user != self)
        {
            if (string.IsNullOrWhiteSpace(user))
                return ConsentProblems.InvalidUser.Answer("The user query parameter is empty.");
            var allowed = await authorization.AuthorizeAsync(http.User, ConsentScopes.ReadOthersPolicy);
            if (!allowed.Succeeded)
            {
                var scope = http.RequestServices.GetRequiredService<IOptions<CandorConsentOptions>>().Value.ReadOthersScope;
                return ConsentProblems.InsufficientScope.Answer(
                    $"Reading another user's metrics_optout needs the scope '{scope}'.");
            }
            // A trusted service reads what is stored; the handshake is about the browser of the request, not that user's.
            return TypedResults.Ok(new MetricsOptoutBody(await preferences.GetAsync(user, http.RequestAborted)));
        }
        var decision = await gate.DecideAsync(http, http.RequestAborted);
        return TypedResults.Ok(new MetricsOptoutBody(decision.Preference));
    }

    private static async Task<IResult> PostAsync(HttpContext http, ConsentPreferences preferences)
    {
        if (!TryUser(http, out var self, out var problem))
            return problem;
        if (http.Request.Query.ContainsKey("user"))
            return ConsentProblems.InvalidUser.Answer(
                "POST changes only the signed-in user's own preference; drop the user query parameter.");
        if (http.Request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return ConsentProblems.UnsupportedMediaType.Answer(
                "Send the preference as application/json: { \"metrics_optout\": null | false | true }.");
        var (value, error) = await ReadBodyAsync(http.Request, http.RequestAborted);
        if (error is not null)
            return ConsentProblems.InvalidMetricsOptout.Answer(error);
        await preferences.SetAsync(self, value, ChoiceSource.User, http.RequestAborted);
        MetricsGate.Invalidate(http);
        return TypedResults.Ok(new MetricsOptoutBody(value));
    }

    private static bool TryUser(HttpContext http, out string userId, out IResult problem)
    {
        // Authenticated but with no sub/NameIdentifier: there is no "own" preference to speak of.
        userId = ConsentUser.IdOf(http.User)!;
        problem = ConsentProblems.NoUserId.Answer(
            "The credentials carry no 'sub' or NameIdentifier claim, so there is no own preference.");
        return userId is not null;
    }

    /// <summary>Exactly one member, <c>metrics_optout</c>, whose value is null, false or true; else the reason.</summary>
    internal static async Task<(bool? Value, string? Error)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
            return (null, $"The body is larger than {MaxBodyBytes} bytes.");
        using var buffer = new MemoryStream();
        var chunk = new byte[512];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
                return (null, $"The body is larger than {MaxBodyBytes} bytes.");
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException)
        {
            return (null, "The body is not JSON; expected { \"metrics_optout\": null | false | true }.");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return (null, "The body must be a JSON object: { \"metrics_optout\": null | false | true }.");
            bool? value = null;
            bool seen = false;
            foreach (var member in root.EnumerateObject())
            {
                if (member.Name != "metrics_optout")
                    return (null, $"Unknown member '{member.Name}': the body has exactly one member, metrics_optout.");
                if (seen)
                    return (null, "metrics_optout appears more than once.");
                seen = true;
                switch (member.Value.ValueKind)
                {
                    case JsonValueKind.Null: value = null; break;
                    case JsonValueKind.True: value = true; break;
                    case JsonValueKind.False: value = false; break;
                    default: return (null, $"metrics_optout must be null, false or true, not {member.Value.ValueKind.ToString().ToLowerInvariant()}.");
                }
            }
            if (!seen)
                return (null, "The member metrics_optout is missing: send null, false or true.");
            return (value, null);
        }
    }
}

/// <summary>The body of both requests and answers.</summary>
public sealed record MetricsOptoutBody([property: System.Text.Json.Serialization.JsonPropertyName("metrics_optout")] bool? MetricsOptout);
