using System.Net;
using System.Text.RegularExpressions;
using AccountService;
using Candor.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Tests.AccountConsent;

/// <summary>examples/AccountService on Kestrel at 127.0.0.1, used the way a person uses it: through its pages.</summary>
public sealed partial class AccountServiceExampleTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
    private WebApplication _app = null!;
    private Uri _base = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _app = AccountServiceApp.Build(["--urls", "http://127.0.0.1:0", "--db", Path.Combine(_directory, "consent.db"), "--Logging:LogLevel:Default", "Warning"]);
        await _app.StartAsync();
        _base = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A browser: its own cookies, following redirects, optionally sending Sec-GPC: 1.</summary>
    private HttpClient Browser(bool gpc = false)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = true }) { BaseAddress = _base };
        if (gpc) client.DefaultRequestHeaders.Add("Sec-GPC", "1");
        return client;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    [GeneratedRegex("id=\"preference\">([^<]+)<")]
    private static partial Regex PreferenceField();

    private static async Task<string> PageAsync(HttpClient browser, string path)
    {
        using var response = await browser.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {html}");
        return html;
    }

    private static async Task<HttpResponseMessage> SubmitAsync(HttpClient browser, string pagePath, string action, params (string Name, string Value)[] fields)
    {
        var token = TokenField().Match(await PageAsync(browser, pagePath)).Groups[1].Value;
        Assert.NotEmpty(token);
        var form = fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)).Append(new("__RequestVerificationToken", token));
        return await browser.PostAsync(action, new FormUrlEncodedContent(form));
    }

    private static async Task<string> SignInAsync(HttpClient browser, string user)
    {
        using var response = await SubmitAsync(browser, "/signin", "/signin", ("user", user));
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {html}");
        Assert.EndsWith("/settings", response.RequestMessage!.RequestUri!.AbsolutePath);
        return html;
    }

    private static string Preference(string html) => PreferenceField().Match(html).Groups[1].Value;

    [Fact]
    public async Task A_user_signs_in_sees_no_choice_and_opts_out_on_the_settings_page()
    {
        using var browser = Browser();
        Assert.Equal("no choice yet", Preference(await SignInAsync(browser, "alice")));

        using (var saved = await SubmitAsync(browser, "/settings", "/settings", ("metrics_optout", "true")))
            Assert.Equal("opted out", Preference(await saved.Content.ReadAsStringAsync()));
        Assert.Contains("value=\"true\" checked", await PageAsync(browser, "/settings"));

        // The same preference through the library's API, with the page's cookie.
        using (var api = await browser.GetAsync("/v1/metrics_optout"))
            Assert.True(await ConsentHost.ValueAsync(api));
        Assert.Contains("not collected", await PageAsync(browser, "/"));

        using (var allowed = await SubmitAsync(browser, "/settings", "/settings", ("metrics_optout", "false")))
            Assert.Equal("allowed", Preference(await allowed.Content.ReadAsStringAsync()));
        Assert.Contains("Metrics for this request: collected", await PageAsync(browser, "/"));
        using (var reset = await SubmitAsync(browser, "/settings", "/settings", ("metrics_optout", "null")))
            Assert.Equal("no choice yet", Preference(await reset.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Signing_in_from_a_browser_sending_gpc_opts_the_account_out()
    {
        using var browser = Browser(gpc: true);
        Assert.Equal("opted out", Preference(await SignInAsync(browser, "bob")));
        using var elsewhere = Browser();
        Assert.Equal("opted out", Preference(await SignInAsync(elsewhere, "bob")));
    }

    [Fact]
    public async Task The_settings_page_needs_a_signed_in_user()
    {
        using var browser = Browser();
        using var response = await browser.GetAsync("/settings");
        Assert.Equal("/signin", response.RequestMessage!.RequestUri!.AbsolutePath);
        using var api = await browser.GetAsync("/v1/metrics_optout");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    [Fact]
    public async Task Another_value_is_a_400_problem_and_changes_nothing()
    {
        using var browser = Browser();
        await SignInAsync(browser, "carol");
        using var response = await SubmitAsync(browser, "/settings", "/settings", ("metrics_optout", "maybe"));
        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "invalid-metrics-optout");
        Assert.Equal("no choice yet", Preference(await PageAsync(browser, "/settings")));
    }

    [Fact]
    public async Task A_form_without_its_token_is_refused()
    {
        using var browser = Browser();
        await SignInAsync(browser, "dave");
        using var response = await browser.PostAsync("/settings", new FormUrlEncodedContent([new("metrics_optout", "true")]));
        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "invalid-form-token");
        Assert.Equal("no choice yet", Preference(await PageAsync(browser, "/settings")));
    }

    [Fact]
    public async Task An_empty_user_name_is_a_400_problem()
    {
        using var browser = Browser();
        using var response = await SubmitAsync(browser, "/signin", "/signin", ("user", "  "));
        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "invalid-user");
    }

    [Fact]
    public async Task Metrics_shows_the_choice_counter_without_user_ids()
    {
        using var browser = Browser();
        await SignInAsync(browser, "erin-unique");
        using (await SubmitAsync(browser, "/settings", "/settings", ("metrics_optout", "true"))) { }
        var text = await PageAsync(Browser(), "/metrics");
        Assert.Contains("candor_metrics_optout_choices_total{metrics_optout=\"true\",source=\"user\"} 1", text);
        Assert.DoesNotContain("erin", text);
    }
}
