using System.Reflection;
using System.Xml.Linq;

namespace Candor.Tests.Packaging;

/// <summary>
/// The packages' public API is pinned: each pinned project keeps its baseline (PublicAPI.Shipped.txt and
/// PublicAPI.Unshipped.txt, read by Microsoft.CodeAnalysis.PublicApiAnalyzers) and turns an unreviewed
/// change (RS0016 added, RS0017 removed) and an undocumented public member (CS1591) into build errors.
/// These tests keep that wiring from being dropped quietly, and check the baseline against the compiled
/// assembly by reflection, independently of the analyzer.
/// </summary>
public class PublicApiBaselineTests
{
    public static TheoryData<string> PinnedPackages => new() { "Candor.Client", "Candor.AspNetCore", "Candor.Core" };

    [Theory]
    [MemberData(nameof(PinnedPackages))]
    public void A_pinned_package_fails_its_build_on_an_unreviewed_or_undocumented_public_member(string project)
    {
        var dir = Path.Combine(PackedFeed.RepositoryRoot, "src", project);
        var csproj = XDocument.Load(Path.Combine(dir, project + ".csproj"));
        Assert.Contains(csproj.Descendants("PackageReference"),
            p => (string?)p.Attribute("Include") == "Microsoft.CodeAnalysis.PublicApiAnalyzers");
        var errors = string.Join(";", csproj.Descendants("WarningsAsErrors").Select(e => e.Value)).Split(';');
        Assert.Contains("RS0016", errors);
        Assert.Contains("RS0017", errors);
        Assert.Contains("CS1591", errors);
        var suppressed = string.Join(";", csproj.Descendants("NoWarn").Select(e => e.Value)).Split(';');
        Assert.DoesNotContain("CS1591", suppressed);
        foreach (var file in new[] { "PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt" })
            Assert.Equal("#nullable enable", File.ReadLines(Path.Combine(dir, file)).First());
    }

    [Theory]
    [MemberData(nameof(PinnedPackages))]
    public void Every_public_type_of_a_pinned_package_is_in_its_baseline(string project)
    {
        var declared = Baseline(project);
        var assembly = Assembly.Load(project);
        var missing = assembly.GetExportedTypes()
            .Select(t => (t.FullName ?? t.Name).Replace('+', '.'))
            .Where(name => !name.Contains('`') && !declared.Contains(name))
            .ToList();
        Assert.True(missing.Count == 0, "Public types missing from the baseline: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_baseline_check_finds_a_type_the_baseline_does_not_name()
    {
        // Positive control: the same comparison against a baseline without CandorClient reports it.
        var declared = Baseline("Candor.Client");
        declared.Remove("Candor.Client.CandorClient");
        var exported = typeof(Candor.Client.CandorClient).Assembly.GetExportedTypes().Select(t => t.FullName!).ToList();
        Assert.Contains(exported, name => !declared.Contains(name));
    }

    [Fact]
    public void Candor_Core_exports_the_registry_and_announcements_and_keeps_its_cryptography_internal()
    {
        // docs/architecture.md, "Packages and their public surface": the hand-written HPKE, X25519, blind RSA,
        // Prio3, DAP and Oblivious HTTP code is Candor's own plumbing, not a supported crypto library.
        var core = typeof(Candor.Registry.MetricRegistry).Assembly;
        var exported = core.GetExportedTypes().Select(t => t.Namespace).Distinct().Order().ToList();
        Assert.Equal(["Candor.Announcements", "Candor.Registry"], exported);
        // Positive control: the types this keeps out of the public surface are in the assembly, only not exported.
        string[] plumbing = ["Candor.Hpke.X25519", "Candor.Hpke.HpkeSuite", "Candor.PrivacyPass.BlindRsa", "Candor.Vdaf.Prio3", "Candor.Ohttp.ObliviousRequest"];
        foreach (var name in plumbing)
            Assert.False(Assert.IsAssignableFrom<Type>(core.GetType(name)).IsPublic, name + " is public");
    }

    [Fact]
    public void The_hot_path_is_pinned_and_documented()
    {
        var declared = Baseline("Candor.Client");
        Assert.Contains("Candor.Client.Recording.CounterHandle.Increment() -> void", declared);
        Assert.Contains("Candor.Client.CandorClient.Counter(string! name) -> Candor.Client.Recording.CounterHandle!", declared);
        var docs = XDocument.Load(Path.ChangeExtension(typeof(Candor.Client.CandorClient).Assembly.Location, ".xml"));
        var members = docs.Descendants("member").Select(m => (string?)m.Attribute("name")).ToHashSet();
        Assert.Contains("M:Candor.Client.Recording.CounterHandle.Increment", members);
        Assert.Contains("M:Candor.Client.CandorClient.Counter(System.String)", members);
    }

    private static HashSet<string> Baseline(string project)
    {
        var dir = Path.Combine(PackedFeed.RepositoryRoot, "src", project);
        return File.ReadLines(Path.Combine(dir, "PublicAPI.Shipped.txt"))
            .Concat(File.ReadLines(Path.Combine(dir, "PublicAPI.Unshipped.txt")))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.StartsWith("*REMOVED*", StringComparison.Ordinal) ? "" : line)
            .ToHashSet(StringComparer.Ordinal);
    }
}
