using System.Security.Claims;
using System.Text.Encodings.Web;
using Candor.AspNetCore;
using Candor.AspNetCore.Api;
using Candor.AspNetCore.Consent;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace AccountService;

/// <summary>
/// A small account service: sign in (a demo: a user name, no password), a settings page where the user
/// sees and changes <c>metrics_optout</c>, the consent API at <c>/v1/metrics_optout</c> and the choice
/// counter at <c>/metrics</c>. The home page records a page view only when the metrics gate allows it.
/// </summary>
public static class AccountServiceApp
{
    /// <param name="args"><c>--urls</c>, <c>--db</c> (SQLite path or PostgreSQL connection string).</param>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var database = builder.Configuration["db"] ?? "account-consent.db";
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.LoginPath = "/signin";
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.HttpOnly = true;
                // An API caller gets 401, not a redirect to the sign-in page.
                o.Events.OnRedirectToLogin = ctx =>
                {
                    if (ctx.Request.Path.StartsWithSegments("/v1"))
                        ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    else
                        ctx.Response.Redirect(ctx.RedirectUri);
                    return Task.CompletedTask;
                };
            });
        builder.Services.AddAntiforgery();
        builder.Services.AddCandorConsent(o => o.Database = database);

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapCandorConsent();
        app.MapCandorConsentMetrics();

        app.MapGet("/", async (HttpContext http, IMetricsGate gate) =>
        {
            var decision = await gate.DecideAsync(http);
            var who = decision.UserId is { } id ? $"Signed in as {Html(id)}. <a href=\"/settings\">Settings</a>" : "<a href=\"/signin\">Sign in</a>";
            return Page("Account", $"<p>{who}</p><p id=\"metrics\">Metrics for this request: {(decision.MayCollect ? "collected" : "not collected")}.</p>");
        });

        app.MapGet("/signin", (HttpContext http, IAntiforgery antiforgery) => Page("Sign in", $"""
            <form method="post" action="/signin">
              {Token(http, antiforgery)}
              <label>User name <input name="user" required></label>
              <button type="submit">Sign in</button>
            </form>
            """));

        app.MapPost("/signin", async (HttpContext http, IMetricsGate gate, IAntiforgery antiforgery) =>
        {
            if (await ValidFormAsync(http, antiforgery) is { } invalid)
                return invalid;
            var form = await http.Request.ReadFormAsync();
            var user = form["user"].ToString().Trim();
            if (user.Length is 0 or > 100)
                return ConsentProblems.Problem(400, "invalid-user", "Invalid user", "The user name must be 1 to 100 characters.");
            var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", user)], CookieAuthenticationDefaults.AuthenticationScheme));
            await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal);
            // Account created or signed into from a browser sending Sec-GPC: 1 or DNT: 1: opted out.
            await gate.OnSignedInAsync(http, user);
            return Results.Redirect("/settings");
        });

        app.MapGet("/settings", async (HttpContext http, IMetricsGate gate, IAntiforgery antiforgery) =>
        {
            var decision = await gate.DecideAsync(http);
            string Checked(bool? v) => decision.Preference == v ? " checked" : "";
            var state = decision.Preference switch { true => "opted out", false => "allowed", null => "no choice yet" };
            return Page("Metrics settings", $"""
                <p>Signed in as <strong id="user">{Html(decision.UserId!)}</strong>.</p>
                <p>Your metrics preference: <strong id="preference">{state}</strong>.</p>
                <form method="post" action="/settings">
                  {Token(http, antiforgery)}
                  <label><input type="radio" name="metrics_optout" value="null"{Checked(null)}> No choice (your browser's privacy signal decides)</label><br>
                  <label><input type="radio" name="metrics_optout" value="false"{Checked(false)}> Allow anonymous usage metrics</label><br>
                  <label><input type="radio" name="metrics_optout" value="true"{Checked(true)}> Opt out of metrics and experiments</label><br>
                  <button type="submit">Save</button>
                </form>
                """);
        }).RequireAuthorization();

        app.MapPost("/settings", async (HttpContext http, ConsentPreferences preferences, IAntiforgery antiforgery) =>
        {
            if (await ValidFormAsync(http, antiforgery) is { } invalid)
                return invalid;
            var form = await http.Request.ReadFormAsync();
            bool? value;
            switch (form["metrics_optout"].ToString())
            {
                case "null": value = null; break;
                case "false": value = false; break;
                case "true": value = true; break;
                default:
                    return ConsentProblems.Problem(400, "invalid-metrics-optout", "Invalid metrics_optout",
                        "Choose one of the three options: metrics_optout must be null, false or true.");
            }
            await preferences.SetAsync(ConsentUser.IdOf(http.User)!, value, ChoiceSource.User);
            return Results.Redirect("/settings");
        }).RequireAuthorization();

        return app;
    }

    private static async Task<IResult?> ValidFormAsync(HttpContext http, IAntiforgery antiforgery)
    {
        if (!http.Request.HasFormContentType)
            return ConsentProblems.Problem(415, "unsupported-media-type", "Unsupported media type", "Send the form as application/x-www-form-urlencoded.");
        try
        {
            await antiforgery.ValidateRequestAsync(http);
            return null;
        }
        catch (AntiforgeryValidationException)
        {
            return ConsentProblems.Problem(400, "invalid-form-token", "Invalid form token", "The form's anti-forgery token is missing or does not match; reload the page and try again.");
        }
    }

    private static string Token(HttpContext http, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        return $"<input type=\"hidden\" name=\"{Html(tokens.FormFieldName)}\" value=\"{Html(tokens.RequestToken!)}\">";
    }

    private static string Html(string s) => HtmlEncoder.Default.Encode(s);

    private static IResult Page(string title, string body) => Results.Content($"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>{Html(title)}</title></head>
        <body><h1>{Html(title)}</h1>
        {body}
        </body></html>
        """, "text/html; charset=utf-8");
}
