using Candor.Collector.Hosting;
using Candor.Collector.Registry;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Registry;

/// <summary>
/// A new registry version may not change what an existing metric's stored cells mean: the collector
/// refuses it at load, naming the file, the line and the metric ("a changed metric is a new name").
/// </summary>
public sealed class RegistryEvolutionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-evolution-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>Version 3 of the test registry with one edit applied to version 2's text.</summary>
    private string V3(string from, string to)
    {
        string yaml = TestRegistries.V2.Replace("version: 2", "version: 3");
        Assert.Contains(from, yaml);
        var path = Path.Combine(_dir, "test-v3.yaml");
        File.WriteAllText(path, yaml.Replace(from, to));
        return path;
    }

    private async Task<string> Refused(string v3)
    {
        var e = await Assert.ThrowsAsync<RegistryConflictException>(async () =>
            await (await CollectorHost.StartAsync(o => o.RegistryFiles.Add(v3), directory: Path.Combine(_dir, "collector"))).DisposeAsync());
        Assert.Contains("test-v3.yaml:", e.Message);
        Assert.Contains("A changed metric is a new name", e.Message);
        return e.Message;
    }

    [Fact]
    public async Task A_metric_whose_type_changes_is_refused_at_load()
    {
        // app.launches was a counter of buckets; read as an enum, its stored "10" cells would be published under enum rules.
        var message = await Refused(V3("""
              app.launches:
                type: counter
                category: usage
                period: week
                buckets: [1, 2, 5, 10, 20, 50, 100]
            """, """
              app.launches:
                type: enum
                category: usage
                period: week
                values: [few, many]
            """));
        Assert.Contains("metric 'app.launches' of org.example.test version 3 changes its type (counter to enum) from version 1", message);
    }

    [Fact]
    public async Task Changed_values_buckets_or_period_are_refused_too()
    {
        Assert.Contains("changes its values", await Refused(V3("values: [linux, windows, macos, other]", "values: [linux, windows, macos, bsd, other]")));
        Assert.Contains("changes its buckets", await Refused(V3("buckets: [0, 100, 250, 500, 1000, 2500]", "buckets: [0, 200, 500, 1000, 2500]")));
        Assert.Contains("changes its period (week to day)", await Refused(V3("""
              feature.spellcheck:
                type: flag
                category: usage
                period: week
            """, """
              feature.spellcheck:
                type: flag
                category: usage
                period: day
            """)));
    }

    [Fact]
    public async Task Words_and_expiry_may_change_and_the_new_version_loads()
    {
        var v3 = V3("description: The operating system family.", "description: The operating system family (kernel).");
        await using var host = await CollectorHost.StartAsync(o => o.RegistryFiles.Add(v3), directory: Path.Combine(_dir, "collector"));
        Assert.Equal(3, host.App.Services.GetService(typeof(RegistryCatalog)) is RegistryCatalog c ? c.Find(TestRegistries.App)!.Latest.Registry.Version : 0);
    }
}
