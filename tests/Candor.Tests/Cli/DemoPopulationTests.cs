using System.Text.Json;
using Candor.Cli.Commands;
using Candor.Registry;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Cli;

/// <summary>
/// The demo's population through a real collector: the OS chart shows macOS (a tenth of installations),
/// which the old rule withheld every week to protect a 1 % "other".
/// </summary>
public sealed class DemoPopulationTests
{
    private static readonly DateOnly Today = new(2026, 11, 22);

    [Fact]
    public async Task The_demo_population_shows_macos_in_the_os_chart()
    {
        var registries = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "registries"), "desktop-editor*.yaml").Order(StringComparer.Ordinal).ToList();
        var registry = RegistryParser.ParseFile(registries.Single(f => f.EndsWith("desktop-editor-v4.yaml", StringComparison.Ordinal)));
        await using var host = await CollectorHost.StartAsync(o =>
        {
            o.RegistryFiles = registries;
            o.NextReportMinSeconds = 86400; // as candor demo: simulated clients report again within a day or two
            o.NextReportMaxSeconds = 2 * 86400;
            // 1 per metric-period (threshold 15): this checks that a tenth is shown, not the default budget,
            // at which 1,200 installations put a tenth below the threshold (docs/privacy.md, "What 4 costs").
            o.PublishEpsilonPerWeek = Candor.Collector.Publishing.PrivacyBudget.UnitsOf(registry);
        });
        string work = Directory.CreateTempSubdirectory("candor-demo-population-").FullName;
        try
        {
            using var population = new Population(registry, host.BaseAddress, work, weeks: 2, seed: 2026, Today);
            await population.RunAsync(1200, () => { }, CancellationToken.None); // enough that macOS (a tenth) is far above the noise threshold in every run
            Assert.Equal(0, population.Summary.Failures);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(work, true);
        }
        Assert.Equal(0.10, Population.Oses.Single(o => o.Value == "macos").Weight);

        host.Clock.Set(new DateTimeOffset(2026, 12, 8, 12, 0, 0, TimeSpan.Zero)); // both weeks final
        var json = JsonDocument.Parse(await host.Client.GetStringAsync("/v1/public/apps/org.example.editor/metrics/system.os?from=2026-W46&to=2026-W47")).RootElement;
        var w46 = json.GetProperty("periods")[0];
        Assert.Equal("final", w46.GetProperty("state").GetString());
        var values = w46.GetProperty("values").EnumerateArray().ToDictionary(v => v.GetProperty("value").GetString()!, v => v.GetProperty("share").GetDouble());
        Assert.Contains("macos", values.Keys);
        Assert.InRange(values["macos"], 0.04, 0.2);
        Assert.Contains("linux", values.Keys);
        Assert.Contains("windows", values.Keys);

        var page = await host.Client.GetStringAsync("/apps/org.example.editor?from=2026-W46&to=2026-W47");
        int os = page.IndexOf("id=\"metric-system.os\"", StringComparison.Ordinal);
        Assert.True(os >= 0, "the OS section is missing");
        var section = page[os..page.IndexOf("</section>", os, StringComparison.Ordinal)];
        Assert.Contains("<td>macos</td>", section);
    }
}
