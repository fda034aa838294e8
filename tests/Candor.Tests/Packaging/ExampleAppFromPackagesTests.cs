using System.IO.Compression;
using System.Xml.Linq;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Packaging;

/// <summary>
/// The path an app developer takes: Candor.Client from a package feed (not the projects), the example
/// app (examples/Notepad) built against it with the typed handles the packaged generator writes, and
/// its first upload arriving on a real collector at once.
/// </summary>
public sealed class ExampleAppFromPackagesTests(PackedFeed packed) : IClassFixture<PackedFeed>
{
    private const string ExampleApp = "org.example.notepad";

    [Fact]
    public void Packing_the_client_also_packs_the_core_it_depends_on_with_the_same_version()
    {
        Assert.True(packed.Pack.Exit == 0, packed.Pack.Output);

        var client = Nuspec("Candor.Client");
        var dependency = client.Descendants().Single(e => e.Name.LocalName == "dependency" && (string?)e.Attribute("id") == "Candor.Core");
        Assert.Equal(packed.Version, (string?)dependency.Attribute("version"));
        Assert.True(File.Exists(Path.Combine(packed.Feed, $"Candor.Core.{packed.Version}.nupkg")), "Candor.Core is in the same feed");
    }

    [Fact]
    public void The_client_package_carries_its_metadata_xml_docs_and_the_typed_metrics_generator()
    {
        Assert.True(packed.Pack.Exit == 0, packed.Pack.Output);

        var metadata = Nuspec("Candor.Client").Descendants().First(e => e.Name.LocalName == "metadata");
        string? Field(string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
        Assert.Equal("MIT", Field("license"));
        Assert.Equal("README.md", Field("readme"));
        Assert.False(string.IsNullOrWhiteSpace(Field("description")));
        Assert.Contains("privacy", Field("tags"));
        Assert.NotNull(metadata.Elements().FirstOrDefault(e => e.Name.LocalName == "repository")?.Attribute("commit"));

        using var zip = ZipFile.OpenRead(Path.Combine(packed.Feed, $"Candor.Client.{packed.Version}.nupkg"));
        var files = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("lib/net10.0/Candor.Client.xml", files);
        Assert.Contains("README.md", files);
        Assert.Contains("analyzers/dotnet/cs/Candor.Client.Generators.dll", files);
        Assert.Contains("analyzers/dotnet/cs/YamlDotNet.dll", files); // the generator's parser, loaded next to it
        Assert.Contains("buildTransitive/Candor.Client.targets", files);
    }

    [Fact]
    public async Task The_example_app_builds_from_the_packages_and_its_first_upload_arrives_at_once()
    {
        Assert.True(packed.Pack.Exit == 0, packed.Pack.Output);
        var source = Path.Combine(PackedFeed.RepositoryRoot, "examples", "Notepad");
        var app = Path.Combine(packed.Directory, "Notepad");
        Directory.CreateDirectory(app);
        foreach (var file in Directory.GetFiles(source).Where(f => Path.GetFileName(f) != "nuget.config"))
            File.Copy(file, Path.Combine(app, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <configuration><packageSources><add key="candor-test" value="{packed.Feed}" /></packageSources></configuration>
            """);
        // A private package folder, so the test packages never land in the machine's NuGet cache; everything
        // else restores from that cache without copying it.
        var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var env = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = Path.Combine(packed.Directory, "packages") };

        var build = PackedFeed.Run(app, TimeSpan.FromMinutes(3), env, "build", "-c", PackedFeed.Configuration, "-o", Path.Combine(app, "out"),
            $"-p:CandorVersion={packed.Version}", $"-p:RestoreFallbackFolders={globalPackages}");
        Assert.True(build.Exit == 0, build.Output);
        Assert.DoesNotContain("CANDOR00", build.Output); // the example's registry is clean and every metric has a typed handle

        await using var collector = await CollectorHost.StartAsync(
            o => o.RegistryFiles.Add(Path.Combine(source, "metrics.yaml")), clockStart: DateTimeOffset.UtcNow);
        // The app runs as on a user's machine: CI=true (set by CI) and DO_NOT_TRACK would mean "denied".
        var userEnvironment = new Dictionary<string, string?> { ["CI"] = null, ["DO_NOT_TRACK"] = null };
        var run = PackedFeed.Run(app, TimeSpan.FromMinutes(1), userEnvironment,
            Path.Combine(app, "out", "Notepad.dll"), "--collector", collector.BaseAddress.ToString(), "--data-dir", Path.Combine(packed.Directory, "data"), "--yes");

        Assert.True(run.Exit == 0, run.Output);
        Assert.Contains("Consent: Granted", run.Output);
        Assert.Contains(": sent (1 batch(es) sent, 0 pending)", run.Output);
        var stored = await collector.Store.ReadRawAsync(ExampleApp);
        Assert.Contains(stored, r => r.Metric == "app.launches");
        Assert.Contains(stored, r => r.Metric == "system.os" && r.Value is "linux" or "windows" or "macos" or "other");
    }

    private XDocument Nuspec(string id)
    {
        using var zip = ZipFile.OpenRead(Path.Combine(packed.Feed, $"{id}.{packed.Version}.nupkg"));
        using var stream = zip.GetEntry($"{id}.nuspec")!.Open();
        return XDocument.Load(stream);
    }
}
