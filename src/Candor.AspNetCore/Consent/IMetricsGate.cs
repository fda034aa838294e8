using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace Candor.AspNetCore.Consent;

/// <summary>
/// "May non-essential metrics be collected for this request?" Applies the browser handshake on the way:
/// a signed-in user with no explicit choice whose browser sends <c>Sec-GPC: 1</c> or <c>DNT: 1</c> is
/// stored as opted out.
/// </summary>
public interface IMetricsGate
{
    /// <summary>The decision for the request, applying (and persisting) the browser handshake.</summary>
    Task<MetricsDecision> DecideAsync(HttpContext http, CancellationToken cancellationToken = default);

    /// <summary>Shorthand for <c>(await DecideAsync(http)).MayCollect</c>.</summary>
    async Task<bool> MayCollectAsync(HttpContext http, CancellationToken cancellationToken = default) =>
        (await DecideAsync(http, cancellationToken)).MayCollect;

    /// <summary>
    /// Call when an account is created or a user signs in: from a browser that signals opt-out the
    /// preference becomes <c>true</c>. Returns the preference afterwards.
    /// </summary>
    Task<bool?> OnSignedInAsync(HttpContext http, string userId, CancellationToken cancellationToken = default);
}

/// <summary>What the gate decided and why.</summary>
/// <param name="UserId">The signed-in user, or null when anonymous.</param>
/// <param name="Preference">The user's stored preference after the handshake (null: anonymous or no choice).</param>
/// <param name="BrowserSignalsOptOut">Whether the request carried <c>Sec-GPC: 1</c> or <c>DNT: 1</c>.</param>
/// <param name="OptedOut">Treat the request as opted out (stored true, or anonymous with a signal).</param>
/// <param name="MayCollect">Whether non-essential metrics may be collected.</param>
public sealed record MetricsDecision(string? UserId, bool? Preference, bool BrowserSignalsOptOut, bool OptedOut, bool MayCollect);

/// <summary>The user id of a principal: the <c>sub</c> claim, else NameIdentifier; null when not authenticated.</summary>
public static class ConsentUser
{
    /// <summary>The id, or null for an anonymous request.</summary>
    public static string? IdOf(ClaimsPrincipal? user)
    {
        if (user?.Identity?.IsAuthenticated != true)
            return null;
        var id = user.FindFirst("sub")?.Value ?? user.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        return string.IsNullOrWhiteSpace(id) ? null : id;
    }

    /// <summary>Whether the principal's space-separated <c>scope</c> claims contain <paramref name="scope"/>.</summary>
    public static bool HasScope(ClaimsPrincipal user, string scope) =>
        user.FindAll(ConsentScopes.ScopeClaim).Any(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(scope, StringComparer.Ordinal));
}
