using System.Globalization;
using System.Net;
using Candor.Protocol;
using Candor.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Candor.Tests.Dashboard;

/// <summary>
/// A collector with eight weeks of a small, exactly known population of an app that has a version
/// metric, and one Chromium for the class. "Now" is Sunday 2026-11-22 (2026-W47); periods are final
/// 11 days after they end here, so 2026-W46 and 2026-W47 (and the days from 2026-11-11) are still
/// arriving: the publisher shows nothing for them yet. Their reports are fewer, as on a live collector.
/// </summary>
public sealed class DashboardPopulation : IAsyncLifetime
{
    public const string App = "org.example.dash";

    /// <summary>Installations reporting in W40..W47: growing through W45, then the partial weeks still arriving.</summary>
    public static readonly int[] Installations = [40, 44, 48, 52, 56, 60, 30, 12];

    public static readonly DateOnly FirstMonday = new(2026, 9, 28); // Monday of 2026-W40

    public const string Registry = """
        app: org.example.dash
        version: 1
        categories:
          usage: { description: How the app is used }
          system: { description: Where the app runs }
          performance: { description: How fast the app is }
        metrics:
          app.version:
            type: enum
            category: system
            period: week
            values: ["1.1", "2.0", other]
            description: The installed version.
            purpose: See how fast new releases are adopted.
            expires: never
          system.os:
            type: enum
            category: system
            period: week
            values: [linux, windows, macos, other]
            description: The operating system family.
            purpose: Decide which platforms get packages first.
            expires: never
          app.launches:
            type: counter
            category: usage
            period: week
            buckets: [1, 2, 5, 10, 20, 50, 100]
            description: Times the app was started during the week.
            purpose: See whether weekly use grows after releases.
            expires: never
          feature.spellcheck:
            type: flag
            category: usage
            period: week
            description: The spell checker was used at least once during the week.
            purpose: Decide whether to keep maintaining the spell checker.
            expires: never
          startup.ms:
            type: histogram
            category: performance
            period: week
            buckets: [0, 100, 250, 500, 1000, 2500]
            description: Start-up times in milliseconds during the week.
            purpose: Notice start-up regressions.
            expires: never
        """;

    public CollectorHost Host { get; private set; } = null!;
    private string _directory = null!;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        var directory = _directory = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(directory);
        var registry = Path.Combine(directory, "dash.yaml");
        await File.WriteAllTextAsync(registry, Registry);
        Host = await CollectorHost.StartAsync(o =>
        {
            o.RegistryFiles.Add(registry);
            // Final 11 days after a period ends; noise so small (epsilon 10) that the floored figures below
            // are exact but for a chance of about 1 in 20,000 per figure; the noise itself is the publisher's business.
            o.PublishAfterDays = 11;
            o.PublishEpsilon = 10m;
            o.PublishRounding = 10;
        }, directory);
        for (int w = 0; w < Installations.Length; w++)
        {
            var monday = FirstMonday.AddDays(7 * w);
            for (int i = 0; i < Installations[w]; i++)
                Assert.Equal(HttpStatusCode.Accepted, (await Host.PostAsync(Batch(w, i, monday), App)).StatusCode);
        }
    }

    /// <summary>
    /// One installation's week: OS by i mod 4 (half linux, a quarter each windows and macOS); launches in
    /// the buckets 1, 2, 5 and 10 by turns, except that the first week has no "1" at all (so the bucket
    /// first appears after the others); version 2.0 rolling out by an eighth per week; spell checker on
    /// every second installation; active on each weekday up to today.
    /// </summary>
    private static string Batch(int week, int i, DateOnly monday)
    {
        string os = (i % 4) switch { 0 or 1 => "linux", 2 => "windows", _ => "macos" };
        int launches = week == 0 ? new[] { 2, 5, 10 }[i % 3] : new[] { 1, 2, 5, 10 }[i % 4];
        string version = i < Installations[week] * week / 8 ? "2.0" : "1.1";
        var days = Enumerable.Range(0, 5).Select(monday.AddDays).Where(d => d <= DateOnly.FromDateTime(TestRegistries.Now.UtcDateTime))
            .Select(d => $$"""{ "metric": "candor.active", "period": "{{d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}}", "value": true }""");
        return $$"""
            { "schema": 1, "period": "{{PeriodKey.WeekOf(monday)}}", "reports": [
              { "metric": "app.version", "value": "{{version}}" }, { "metric": "system.os", "value": "{{os}}" },
              { "metric": "app.launches", "value": {{launches}} }, { "metric": "feature.spellcheck", "value": {{(i % 2 == 0 ? "true" : "false")}} },
              { "metric": "startup.ms", "value": { "100": 2, "250": 1 } }, { "metric": "candor.active_week", "value": true },
              {{string.Join(", ", days)}} ] }
            """;
    }

    public async Task<IBrowser> BrowserAsync()
    {
        if (_browser is not null) return _browser;
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumFactAttribute.ExecutablePath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return _browser;
    }

    /// <summary>A page at the given viewport; <paramref name="bypassCsp"/> only for injecting axe-core (the pages themselves allow no script).</summary>
    public async Task<(IPage Page, List<string> Errors)> OpenAsync(int width, int height, bool bypassCsp = false)
    {
        var context = await (await BrowserAsync()).NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height }, BypassCSP = bypassCsp });
        var page = await context.NewPageAsync();
        // Generous bounds: CI runs this beside every other test class on two cores. They bound a hang; they assert no speed.
        page.SetDefaultTimeout(120_000);
        page.SetDefaultNavigationTimeout(120_000);
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type is "error" or "warning") errors.Add($"{m.Type}: {m.Text}"); };
        page.PageError += (_, e) => errors.Add("page error: " + e);
        page.RequestFailed += (_, r) => errors.Add("request failed: " + r.Url);
        return (page, errors);
    }

    public string Url(string path) => new Uri(Host.BaseAddress, path).ToString();

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        await Host.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
