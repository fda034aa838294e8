using System.Net;
using Candor.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Candor.Tests.Dashboard;

/// <summary>The dashboard as a person sees it, in real headless Chromium (Debian's package) via Playwright.</summary>
public sealed class DashboardBrowserTests : IAsyncLifetime
{
    private CollectorHost _host = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public static string ArtifactsDirectory => Path.Combine(AppContext.BaseDirectory, "artifacts");

    public async Task InitializeAsync()
    {
        // A weekly total of 15 over the test registry's 15 metric-periods (1 each): the default 4 would
        // withhold most values of so small a population, and this test is about what the page shows.
        _host = await CollectorHost.StartAsync(o => o.PublishEpsilonPerWeek = 15);
        // Four weeks of a small population: 30 to 60 installs a week, active on weekdays.
        string[] oses = ["linux", "linux", "windows"];
        for (int w = 0; w < 4; w++)
        {
            var monday = new DateOnly(2026, 11, 16).AddDays(-7 * w);
            var week = Candor.Protocol.PeriodKey.WeekOf(monday).ToString();
            for (int i = 0; i < 30 + 10 * w; i++)
            {
                var days = string.Join(",", Enumerable.Range(0, 5).Select(d => $$"""{ "metric": "candor.active", "period": "{{monday.AddDays(d):yyyy-MM-dd}}", "value": true }"""));
                var body = $$"""{ "schema": 2, "period": "{{week}}", "reports": [ { "metric": "system.os", "value": "{{oses[i % 3]}}" }, { "metric": "app.launches", "value": {{(i % 2 == 0 ? 5 : 10)}} }, { "metric": "feature.spellcheck", "value": {{(i % 2 == 0 ? "true" : "false")}} }, { "metric": "startup.ms", "value": { "100": 2, "250": 1 } }, { "metric": "candor.active_week", "value": true }, {{days}} ] }""";
                Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync(body)).StatusCode);
            }
        }
        // Read on 2026-12-08: the four weeks (to 2026-W47) are final, 2026-W48 to W50 still pending.
        _host.Clock.Set(new DateTimeOffset(2026, 12, 8, 12, 0, 0, TimeSpan.Zero));
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumFactAttribute.ExecutablePath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        await _host.DisposeAsync();
    }

    private async Task<(IPage Page, List<string> Errors)> OpenAsync()
    {
        var page = await _browser.NewPageAsync(new() { ViewportSize = new() { Width = 1100, Height = 900 } });
        // Generous bounds: CI runs this beside every other test class on two cores. They bound a hang; they assert no speed.
        page.SetDefaultTimeout(120_000);
        page.SetDefaultNavigationTimeout(120_000);
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type is "error" or "warning") errors.Add($"{m.Type}: {m.Text}"); };
        page.PageError += (_, e) => errors.Add("page error: " + e);
        page.RequestFailed += (_, r) => errors.Add("request failed: " + r.Url);
        return (page, errors);
    }

    /// <summary>
    /// Clicks, then waits in the page until the new document is complete. Not <c>WaitForURLAsync</c>: Playwright's
    /// .NET client checks its list of load states and then subscribes to the next one without a lock, so a "load"
    /// that arrives between the two is missed and the wait runs to its timeout (seen once in CI on a busy machine).
    /// A wait evaluated in the page survives the navigation and has no such gap.
    /// </summary>
    private static async Task ClickAndWaitForPageAsync(IPage page, string selector, string urlPart)
    {
        await page.ClickAsync(selector);
        await page.WaitForFunctionAsync("part => location.href.includes(part) && document.readyState === 'complete'", urlPart);
    }

    [ChromiumFact]
    public async Task The_dashboard_loads_with_charts_and_tables_and_the_range_switch_works()
    {
        var (page, errors) = await OpenAsync();
        var home = await page.GotoAsync(new Uri(_host.BaseAddress, "/").ToString());
        Assert.Equal(200, home!.Status);
        await ClickAndWaitForPageAsync(page, $"a[href='/apps/{TestRegistries.App}']", $"/apps/{TestRegistries.App}");

        Assert.Equal(TestRegistries.App, await page.InnerTextAsync("h1"));
        Assert.True(await page.Locator("svg.chart").CountAsync() >= 4, "charts are missing");
        Assert.True(await page.Locator("table").CountAsync() >= 4, "data tables are missing");
        Assert.Equal(await page.Locator("section.metric svg.chart").CountAsync(), await page.Locator("section.metric details.data table").CountAsync());
        Assert.Contains("Last 12 weeks", await page.InnerTextAsync("nav.ranges a[aria-current='page']"));
        Assert.Contains("linux", await page.TextContentAsync("#metric-system\\.os table"));
        // Weekly actives come from the weekly flag: 30 to 60 installs a week, published with noise.
        Assert.Contains("2026-W47", await page.TextContentAsync("#weekly-actives details.data table"));
        // Feature use as a share of weekly actives: half of the seeded installs use the spell checker.
        Assert.Contains("of weekly actives", await page.InnerTextAsync("#metric-feature\\.spellcheck .share-of-actives"));
        // The rule box states the budget per installation: the weekly total and the yearly figure.
        Assert.Equal("epsilon = 15 per week", await page.InnerTextAsync("p.rule .budget-week"));
        Assert.Equal("epsilon = 780 per year", await page.InnerTextAsync("p.rule .budget-year"));
        Assert.Contains("split equally over the 15 metric-periods of a week", await page.InnerTextAsync("p.rule:has(.budget-week)"));

        Directory.CreateDirectory(ArtifactsDirectory);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ArtifactsDirectory, "dashboard.png"), FullPage = true });

        // The range switch: 4 weeks, then a custom range through the form.
        await ClickAndWaitForPageAsync(page, "nav.ranges a:has-text('Last 4 weeks')", "range=4w");
        Assert.Contains("Last 4 weeks", await page.InnerTextAsync("nav.ranges a[aria-current='page']"));
        Assert.Contains("2026-W47 to 2026-W50 (4 weeks)", await page.InnerTextAsync("main"));
        Assert.Contains("Figures for 2026-W48 to 2026-W50 are still arriving", await page.InnerTextAsync("#metric-system\\.os"));

        await page.FillAsync("input[name=from]", "2026-W46");
        await page.FillAsync("input[name=to]", "2026-W47");
        await ClickAndWaitForPageAsync(page, "nav.ranges button[type=submit]", "from=2026-W46");
        Assert.Contains("2026-W46 to 2026-W47 (2 weeks)", await page.InnerTextAsync("main"));
        Assert.Equal(0, await page.Locator("nav.ranges a[aria-current='page']").CountAsync());

        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [ChromiumFact]
    public async Task The_collected_page_explains_every_metric_and_the_protection_rule()
    {
        var (page, errors) = await OpenAsync();
        var response = await page.GotoAsync(new Uri(_host.BaseAddress, $"/apps/{TestRegistries.App}/collected").ToString());
        Assert.Equal(200, response!.Status);
        var text = await page.InnerTextAsync("main");
        var registry = Candor.Registry.RegistryParser.Parse(TestRegistries.V2, "v2.yaml");
        foreach (var m in registry.Metrics)
        {
            Assert.Contains(m.Name, text);
            Assert.Contains(m.Purpose, text);
        }
        Assert.Contains("collected until 2027-12-31", text);
        Assert.Contains("no longer collected (expired 2026-10-01)", text);
        Assert.Contains("never change", text);
        Assert.Contains("other (withheld)", text);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ArtifactsDirectory, "collected.png"), FullPage = true });
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task Pages_load_nothing_from_elsewhere_and_escape_what_they_show()
    {
        var response = await _host.Client.GetAsync($"/apps/{TestRegistries.App}");
        Assert.StartsWith("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        var html = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", ""));
        var missing = await _host.Client.GetAsync("/apps/%3Cscript%3Ealert(1)%3C%2Fscript%3E");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.DoesNotContain("<script>", await missing.Content.ReadAsStringAsync());
        var bad = await _host.Client.GetAsync($"/apps/{TestRegistries.App}?from=nonsense");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }
}
