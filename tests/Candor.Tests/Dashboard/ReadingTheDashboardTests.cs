using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using Candor.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Candor.Tests.Dashboard;

/// <summary>
/// The dashboard as a new visitor reads it, in real Chromium at a phone's and a laptop's width:
/// answers first, charts in a sensible order, nothing drawn as a drop while reports still arrive,
/// nothing wider than the screen, and no accessibility violation that axe-core can find.
/// </summary>
public sealed class ReadingTheDashboardTests(DashboardPopulation population) : IClassFixture<DashboardPopulation>
{
    private const string App = DashboardPopulation.App;
    public static string ArtifactsDirectory => Path.Combine(AppContext.BaseDirectory, "artifacts");

    public static readonly (int Width, int Height)[] Widths = [(390, 844), (1366, 900)];

    [ChromiumFact]
    public async Task The_home_page_answers_first_with_each_apps_weekly_actives_and_their_change()
    {
        foreach (var (width, height) in Widths)
        {
            var (page, errors) = await population.OpenAsync(width, height);
            await page.GotoAsync(population.Url("/"));
            var card = page.Locator($"section.app-card:has(h2 a[href='/apps/{App}'])");
            // W45 is the newest complete week (W46 and W47 are still arriving): 60 installations, 50 (56 floored) the week before.
            Assert.Equal("60 active installations in 2026-W45, the newest complete week (+20 % on 2026-W44)", await card.Locator("p.headline").InnerTextAsync());
            Assert.Equal(1, await card.Locator("svg.spark").CountAsync());
            Assert.Equal(2, await card.Locator("svg.spark rect[stroke-dasharray]").CountAsync()); // the two weeks still arriving, hollow
            await Shot(page, $"home-{width}.png");
            Assert.True(errors.Count == 0, string.Join("\n", errors));
        }
    }

    [ChromiumFact]
    public async Task The_app_page_leads_with_headline_figures_and_marks_periods_still_arriving()
    {
        foreach (var (width, height) in Widths)
        {
            var (page, errors) = await population.OpenAsync(width, height);
            await page.GotoAsync(population.Url($"/apps/{App}?range=4w"));
            // Weekly: W45 is the newest complete week; the range's complete weeks average 55 against 42.5 in the four before.
            Assert.Equal("60", await page.InnerTextAsync("#headline-weekly .figure"));
            Assert.Contains("in 2026-W45, the newest complete week", await page.InnerTextAsync("#headline-weekly"));
            Assert.Contains("+29 % on the previous range", await page.InnerTextAsync("#headline-weekly"));
            Assert.Contains("Daily active installations", await page.InnerTextAsync("#headline-daily"));
            // Version 2.0 on 30 of the 50 installations that reported a version in W45; 20 of 40 in W44.
            Assert.Equal("60.0 %", await page.InnerTextAsync("#headline-version .figure"));
            Assert.Contains("of the 50 installations that reported a version in 2026-W45", await page.InnerTextAsync("#headline-version"));
            Assert.Contains("was 50.0 % in 2026-W44", await page.InnerTextAsync("#headline-version"));
            // The headline row comes before any chart.
            Assert.True(await page.EvaluateAsync<bool>("() => !!(document.querySelector('.headline-row').compareDocumentPosition(document.querySelector('svg.chart')) & Node.DOCUMENT_POSITION_FOLLOWING)"));

            // Still arriving: W46 and W47 drawn hollow and dashed, and said so; never a solid short column.
            Assert.Equal(2, await page.Locator("#weekly-actives svg rect.arriving").CountAsync());
            Assert.Contains("2026-W47: still arriving, not published yet", await page.InnerHTMLAsync("#weekly-actives svg"));
            Assert.True(await page.Locator("#daily-actives svg rect.arriving").CountAsync() >= 5);
            Assert.Contains("dashed: still arriving", await page.TextContentAsync("#daily-actives svg"));
            Assert.Contains("Figures for 2026-W46 to 2026-W47 are still arriving: they will be published on 2026-11-27 and after.", await page.InnerTextAsync("#metric-system\\.os"));
            Assert.True(errors.Count == 0, string.Join("\n", errors));
        }
    }

    [ChromiumFact]
    public async Task Every_chart_names_its_unit_and_a_chart_with_withheld_weeks_names_them()
    {
        foreach (var (width, height) in Widths)
        {
            var (page, errors) = await population.OpenAsync(width, height);
            await page.GotoAsync(population.Url($"/apps/{App}"));
            var charts = page.Locator("section.metric svg.chart");
            int count = await charts.CountAsync();
            Assert.True(count >= 7, $"{count} charts");
            for (int i = 0; i < count; i++)
            {
                string unit = await charts.Nth(i).Locator("text.unit").TextContentAsync() ?? "";
                Assert.Matches("^(Share of the [0-9,]+ (active installations|installations that reported it)|Share of installations on each version|Active installations per (day|week))", unit);
            }
            Assert.Contains("installations that reported it, in 2026-W45, the newest complete week", await page.TextContentAsync("#metric-system\\.os svg text.unit"));
            // The crash-like counter and the feature flag are shares of the week's active installations, never of their own reports.
            Assert.StartsWith("Share of the 60 active installations, in 2026-W45", await page.TextContentAsync("#metric-app\\.launches svg text.unit"));
            Assert.StartsWith("Share of the 60 active installations with a value in each range", await page.TextContentAsync("#metric-startup\\.ms svg text.unit"));
            // Version 2.0 rolls out from W41: in W40 it was below the threshold, and the chart and the note say so.
            Assert.Equal("Withheld: 2.0 (1 week), other (every week)", await page.TextContentAsync("#metric-app\\.version svg text.withheld-note"));
            Assert.Contains("2.0 in 2026-W40", await page.InnerTextAsync("#metric-app\\.version p.withheld-note"));
            // The OS chart withholds only "other", which no installation reported: named, not silently absent.
            Assert.Equal("Withheld: other (every week)", await page.TextContentAsync("#metric-system\\.os svg text.withheld-note"));
            // A chart with nothing withheld says nothing of the kind.
            Assert.Equal(0, await page.Locator("#metric-feature\\.spellcheck .withheld-note").CountAsync());
            // Adoption over time: one series per version, each over the weeks it was published (W40 to W45 for 1.1).
            Assert.Equal(["1.1", "2.0"], await page.Locator("#metric-app\\.version svg g.series").EvaluateAllAsync<string[]>("gs => gs.map(g => g.dataset.series)"));
            Assert.Equal(6, (await page.Locator("#metric-app\\.version svg g.series[data-series='1.1'] polyline").GetAttributeAsync("points"))!.Split(' ').Length);
            Assert.Equal(5, (await page.Locator("#metric-app\\.version svg g.series[data-series='2.0'] polyline").GetAttributeAsync("points"))!.Split(' ').Length);
            Assert.Equal(1, await page.Locator("#daily-actives svg text.unit").CountAsync());
            Assert.True(errors.Count == 0, string.Join("\n", errors));

            // The embed says the unit on the chart, and the withheld weeks under it.
            await page.GotoAsync(population.Url($"/apps/{App}/charts/app.version"));
            Assert.Equal("Share of installations on each version, per week", await page.TextContentAsync("svg text.unit"));
            Assert.Contains("2.0 in 2026-W40", await page.InnerTextAsync("p.withheld-note"));
        }
        var image = await population.Host.Client.GetStringAsync($"/apps/{App}/charts/feature.spellcheck.svg");
        Assert.Contains("class=\"unit\"", image);
        Assert.Contains("active installations", image);
    }

    [ChromiumFact]
    public async Task Buckets_read_in_numeric_order_enums_in_registry_order_and_shares_say_what_they_are_of()
    {
        var (page, errors) = await population.OpenAsync(1366, 900);
        await page.GotoAsync(population.Url($"/apps/{App}"));
        // The first week has no "1": ordered by first appearance, it came last ("2–4, 5–9, 10–19, 1").
        Assert.Equal(["1", "2–4", "5–9", "10–19"], await page.Locator("#metric-app\\.launches table tbody td:first-child").AllTextContentsAsync());
        // Charts are sorted by share in the newest complete week (the tables above keep the registry's order).
        var shares = await page.Locator("#metric-system\\.os svg rect title").AllTextContentsAsync();
        Assert.StartsWith("linux: ", shares[0]);
        var percents = shares.Select(t => double.Parse(t.Split(": ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(percents.OrderByDescending(x => x), percents);
        Assert.Equal(["linux", "windows", "macos"], await page.Locator("#metric-system\\.os table tbody td:first-child").AllTextContentsAsync());

        await page.GotoAsync(population.Url($"/apps/{App}?range=4w"));
        // The spell checker: 50 of the 110 active installation-weeks of W44 and W45 (not "100 %" of the published yes-cells).
        Assert.Equal("Share of the 110 active installation-weeks", await page.TextContentAsync("#metric-feature\\.spellcheck table thead th:nth-child(3)"));
        Assert.Equal("45.5 %", await page.TextContentAsync("#metric-feature\\.spellcheck table tbody tr:first-child td:nth-child(3)"));
        Assert.StartsWith("Share of the ", await page.TextContentAsync("#metric-system\\.os table thead th:nth-child(3)"));
        Assert.EndsWith(" published weekly reports", await page.TextContentAsync("#metric-system\\.os table thead th:nth-child(3)"));

        // Tables sit collapsed behind their chart, still in the page for screen readers and readers of numbers.
        Assert.Equal(await page.Locator("section.metric svg.chart").CountAsync(), await page.Locator("section.metric details.data:not([open]) table").CountAsync());
        Assert.False(await page.Locator("#metric-system\\.os table").IsVisibleAsync());
        await page.ClickAsync("#metric-system\\.os details.data summary");
        Assert.True(await page.Locator("#metric-system\\.os table").IsVisibleAsync());
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [ChromiumFact]
    public async Task Every_page_fits_from_360_px_up_with_chart_text_of_at_least_11_px()
    {
        string[] paths = ["/", $"/apps/{App}", $"/apps/{App}?range=52w", $"/apps/{App}/collected", $"/apps/{App}/charts/system.os", $"/apps/{App}/charts/candor.active"];
        foreach (var (width, height) in new[] { (360, 740), (390, 844), (1366, 900) })
        {
            var (page, errors) = await population.OpenAsync(width, height);
            foreach (var path in paths)
            {
                await page.GotoAsync(population.Url(path));
                var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
                Assert.True(overflow <= 0, $"{path} at {width} px overflows by {overflow} px");
                // The smallest rendered chart text, in CSS px (a scaled viewBox once shrank it to 6 px).
                var smallest = await page.EvaluateAsync<double>("() => Math.min(999, ...[...document.querySelectorAll('svg.chart text')].map(t => t.getBoundingClientRect().height))");
                Assert.True(smallest >= 11, $"{path} at {width} px has chart text {smallest:0.#} px tall");
                var button = await page.Locator("nav.ranges button").CountAsync() == 0 ? null : await page.Locator("nav.ranges button").BoundingBoxAsync();
                if (button is not null)
                    Assert.True(button.X + button.Width <= width, $"{path} at {width} px clips the Show button");
            }
            if (width != 360)
            {
                await page.GotoAsync(population.Url($"/apps/{App}"));
                await Shot(page, $"app-{width}.png");
                await page.GotoAsync(population.Url($"/apps/{App}/charts/app.version"));
                await Shot(page, $"embed-{width}.png");
            }
            Assert.True(errors.Count == 0, string.Join("\n", errors));
        }
    }

    [AxeFact]
    public async Task Every_page_passes_axe_core_with_no_violations()
    {
        var axe = await AxeScriptAsync();
        string[] paths = ["/", $"/apps/{App}", $"/apps/{App}?range=4w", $"/apps/{App}/collected", $"/apps/{App}/charts/system.os", $"/apps/{App}/charts/candor.active_week", "/apps/no.such.app"];
        var found = new List<string>();
        foreach (var (width, height) in Widths)
        {
            var (page, _) = await population.OpenAsync(width, height, bypassCsp: true);
            foreach (var path in paths)
            {
                await page.GotoAsync(population.Url(path));
                await page.AddScriptTagAsync(new() { Path = axe });
                var result = await page.EvaluateAsync<JsonElement>("async () => (await axe.run(document, { resultTypes: ['violations'] })).violations.map(v => v.id + ': ' + v.help + ' (' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ') + ')')");
                found.AddRange(result.EnumerateArray().Select(v => $"{path} at {width} px: {v.GetString()}"));
            }
        }
        Assert.True(found.Count == 0, string.Join("\n", found));
    }

    [Fact]
    public async Task Each_chart_has_a_stable_standalone_svg_and_a_page_other_sites_may_frame()
    {
        var client = population.Host.Client;
        var svg = await client.GetAsync($"/apps/{App}/charts/app.version.svg?range=4w");
        Assert.True(svg.StatusCode == HttpStatusCode.OK, string.Join("\n", population.Host.Logs.Lines.Where(l => l.Contains("xception")).Take(3)));
        Assert.Equal("image/svg+xml", svg.Content.Headers.ContentType!.MediaType);
        Assert.Equal("*", svg.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var image = XDocument.Parse(await svg.Content.ReadAsStringAsync()); // well-formed XML, as <img> requires
        Assert.Equal(XName.Get("svg", "http://www.w3.org/2000/svg"), image.Root!.Name);
        Assert.Equal("640", image.Root.Attribute("width")!.Value);
        Assert.Contains("2.0", image.Root.Value);
        Assert.DoesNotContain("<script", await svg.Content.ReadAsStringAsync());

        var embed = await client.GetAsync($"/apps/{App}/charts/app.version?range=4w");
        Assert.True(embed.StatusCode == HttpStatusCode.OK, string.Join("\n", population.Host.Logs.Lines.Where(l => l.StartsWith("Error")).Take(2)));
        var policy = embed.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors *", policy);
        Assert.StartsWith("default-src 'none'", policy);
        var html = await embed.Content.ReadAsStringAsync();
        Assert.Contains($"href=\"/v1/public/apps/{App}/metrics/app.version?from=2026-W44&amp;to=2026-W47\">JSON</a>", html);
        Assert.Contains($"href=\"/v1/public/apps/{App}/metrics/app.version/export.csv?from=2026-W44&amp;to=2026-W47\">CSV</a>", html);
        // The links next to a chart on the app page lead to these same addresses.
        var appPage = await client.GetStringAsync($"/apps/{App}?range=4w");
        Assert.Contains($"href=\"/apps/{App}/charts/app.version.svg?range=4w\">SVG image</a>", appPage);
        Assert.Contains($"href=\"/apps/{App}/charts/app.version?range=4w\">page to embed</a>", appPage);
        // Everything else still refuses to be framed.
        Assert.Contains("frame-ancestors 'none'", (await client.GetAsync($"/apps/{App}")).Headers.GetValues("Content-Security-Policy").Single());

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/apps/{App}/charts/no.such.metric.svg")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/apps/no.such.app/charts/system.os")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/apps/{App}/charts/system.os.svg?from=nonsense")).StatusCode);
    }

    [Fact]
    public async Task One_report_shows_that_nothing_is_published_yet_rather_than_a_zero()
    {
        // The README's "Try it": one batch, today, on a fresh collector.
        await using var host = await CollectorHost.StartAsync();
        var today = DateOnly.FromDateTime(TestRegistries.Now.UtcDateTime).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var body = "{ \"schema\": 1, \"period\": \"" + TestRegistries.Week + "\", \"reports\": [ { \"metric\": \"system.os\", \"value\": \"linux\" }, { \"metric\": \"candor.active\", \"period\": \"" + today + "\", \"value\": true } ] }";
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(body)).StatusCode);
        var html = await host.Client.GetStringAsync($"/apps/{TestRegistries.App}");
        Assert.Contains("Nothing to show for this range yet.", html);
        Assert.Contains("A report sent today is stored and will count then; it is not lost.", html);
        Assert.DoesNotContain("Average per published day", html);
        Assert.DoesNotContain("class=\"tile\"", html);
        Assert.Contains("still arriving", html);
    }

    [Fact]
    public async Task Pages_are_rendered_once_a_minute_and_then_served_from_the_cache()
    {
        await using var host = await CollectorHost.StartAsync();
        var first = await host.Client.GetStringAsync($"/apps/{TestRegistries.App}");
        // Within the minute the page stays as rendered, though the clock moved; after it, it is made again.
        host.Clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(first, await host.Client.GetStringAsync($"/apps/{TestRegistries.App}"));
        host.Clock.Advance(TimeSpan.FromDays(8));
        Assert.NotEqual(first, await host.Client.GetStringAsync($"/apps/{TestRegistries.App}"));
        Assert.Equal("public, max-age=60", (await host.Client.GetAsync($"/apps/{TestRegistries.App}")).Headers.CacheControl!.ToString());
    }

    private static async Task Shot(IPage page, string name)
    {
        Directory.CreateDirectory(ArtifactsDirectory);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ArtifactsDirectory, name), FullPage = true });
    }

    /// <summary>axe-core from the npm registry, installed into the test's own folder by its script on first use.</summary>
    private static async Task<string> AxeScriptAsync()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Candor.Tests.csproj")))
            dir = dir.Parent;
        Assert.NotNull(dir);
        var folder = Path.Combine(dir.FullName, "Dashboard", "Axe");
        var script = Path.Combine(folder, "node_modules", "axe-core", "axe.min.js");
        if (File.Exists(script))
            return script;
        using var install = Process.Start(new ProcessStartInfo("sh", [Path.Combine(folder, "install.sh")]) { RedirectStandardError = true })!;
        var stderr = await install.StandardError.ReadToEndAsync();
        await install.WaitForExitAsync();
        Assert.True(install.ExitCode == 0 && File.Exists(script), $"installing axe-core from npm failed: {stderr}");
        return script;
    }
}
