using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Candor.Tests.AccountConsent;

/// <summary>
/// A real ASP.NET Core authentication scheme for the tests: <c>Authorization: Bearer sub=alice;scope=a b</c>
/// becomes a principal with those claims (a token without <c>sub=</c> has none). No header: no result, so
/// authorization challenges with 401 and <c>WWW-Authenticate: Bearer</c>.
/// </summary>
public sealed class TestBearerHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public new const string Scheme = "TestBearer";

    public static string Token(string? sub, string? scope = null) =>
        string.Join(';', new[] { sub is null ? null : "sub=" + sub, scope is null ? null : "scope=" + scope }.Where(p => p is not null));

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
            return Task.FromResult(AuthenticateResult.NoResult());
        var claims = new List<Claim>();
        foreach (var part in header["Bearer ".Length..].Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = part.Split('=', 2);
            if (kv.Length != 2)
                return Task.FromResult(AuthenticateResult.Fail("malformed test token"));
            claims.Add(new Claim(kv[0], kv[1]));
        }
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 401;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }
}
