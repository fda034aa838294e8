using Candor.Registry;

namespace Candor.Tests.Registry;

/// <summary>The example registry shipped in examples/registries stays valid and covers the whole format.</summary>
public class ExampleRegistryTests
{
    private static string ExamplePath => Path.Combine(AppContext.BaseDirectory, "registries", "desktop-editor.yaml");

    [Fact]
    public void Example_registry_parses_and_has_every_metric_type()
    {
        var registry = RegistryParser.ParseFile(ExamplePath);

        Assert.Equal("org.example.editor", registry.App);
        Assert.Equal(3, registry.Version);
        Assert.Equal(Enum.GetValues<MetricType>().Order(), registry.Metrics.Select(m => m.Type).Distinct().Order());
        Assert.Equal(File.ReadAllText(ExamplePath), registry.SourceText);
    }

    [Fact]
    public void Example_registry_has_the_four_categories_then_activity()
    {
        var registry = RegistryParser.ParseFile(ExamplePath);

        Assert.Equal(["system", "usage", "performance", "problems", "activity"], registry.Categories.Select(c => c.Name));
        Assert.All(registry.Metrics, m => Assert.NotNull(registry.FindCategory(m.Category)));
    }

    [Fact]
    public void Example_registry_uses_a_log10_quantity_and_both_kinds_of_expiry()
    {
        var registry = RegistryParser.ParseFile(ExamplePath);

        var age = registry.FindMetric("install.age_days")!;
        Assert.Equal(MetricType.Quantity, age.Type);
        Assert.Equal(NumberTransform.Log10, age.Transform);
        Assert.Contains(registry.Metrics, m => m.Expires is null && !m.BuiltIn);
        Assert.Contains(registry.Metrics, m => m.Expires is not null);
        Assert.Contains(registry.Metrics, m => m.Period == MetricPeriod.Day && !m.BuiltIn);
        Assert.Contains(registry.Metrics, m => m.LocalPrivacy is not null);
    }

    [Fact]
    public void Example_registry_metrics_carry_their_lines()
    {
        var lines = File.ReadAllLines(ExamplePath);
        var registry = RegistryParser.ParseFile(ExamplePath);

        Assert.All(registry.Metrics.Where(m => !m.BuiltIn),
            m => Assert.Equal($"  {m.Name}:", lines[m.Line - 1]));
        Assert.Equal(0, registry.FindMetric(MetricRegistry.ActiveMetricName)!.Line);
    }
}
