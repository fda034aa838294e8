using System.Runtime.CompilerServices;
using Candor.Registry.Events;
using Candor.Registry;

namespace Candor.Tests.Agent;

/// <summary>The shipped example machine registry and its event mapping load as the agent would load them.</summary>
public sealed class ExampleRegistryTests
{
    private static string Example(string file, [CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "examples", "agent", file));

    [Fact]
    public void The_Fedora_Workstation_example_registry_and_mapping_load()
    {
        var registry = RegistryParser.Parse(File.ReadAllText(Example("fedora-workstation.yaml")), "fedora-workstation.yaml");
        var map = EventMapParser.Load(Example("fedora-workstation-events.yaml"), registry);

        Assert.Equal(["hardware", "performance", "problems", "system", "usage"], registry.Categories.Select(c => c.Name).Where(n => n != "activity").Order().ToArray()); // activity: Candor's own
        Assert.Equal(3, map.Mappings.Count);
        Assert.All(registry.Metrics.Where(m => !m.BuiltIn), m => Assert.False(string.IsNullOrWhiteSpace(m.Purpose)));
    }
}
