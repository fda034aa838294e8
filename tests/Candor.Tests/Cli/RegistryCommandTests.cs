using Candor.Tests.Infrastructure;

namespace Candor.Tests.Cli;

public sealed class RegistryCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-cli-").FullName;
    private static string Example => Path.Combine(AppContext.BaseDirectory, "registries", "desktop-editor.yaml");

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task Validate_exits_0_for_a_valid_registry()
    {
        var (exit, stdout, _) = await CandorProcess.RunAsync(_dir, "registry", "validate", Example);
        Assert.Equal(0, exit);
        Assert.Contains("ok (org.example.editor version 3", stdout);
        // The budget the collector's publisher will use: the default weekly total, its yearly figure and the split.
        var budget = Candor.Collector.Publishing.PrivacyBudget.For(Candor.Registry.RegistryParser.ParseFile(Example), perWeek: null);
        Assert.Contains($"privacy budget at the default PublishEpsilonPerWeek: epsilon 4 per installation and week, 208 per year (52 weeks); each of the {budget.Units} metric-periods of a week gets {budget.PerMetricPeriod}", stdout);
    }

    [Fact]
    public async Task Validate_prints_the_budget_a_given_weekly_epsilon_gives_and_refuses_a_bad_one()
    {
        var (exit, stdout, _) = await CandorProcess.RunAsync(_dir, "registry", "validate", "--epsilon-per-week", "2.5", Example);
        Assert.Equal(0, exit);
        Assert.Contains("privacy budget: epsilon 2.5 per installation and week, 130 per year (52 weeks)", stdout);
        var (bad, _, stderr) = await CandorProcess.RunAsync(_dir, "registry", "validate", "--epsilon-per-week", "0", Example);
        Assert.Equal(1, bad);
        Assert.Contains("--epsilon-per-week 0 must be above 0", stderr);
    }

    [Fact]
    public async Task Validate_exits_1_and_names_file_line_and_field_for_each_problem()
    {
        var file = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(file, TestRegistries.V1.Replace("buckets: [1, 2, 5, 10, 20, 50, 100]", "buckets: [1, 5, 2]").Replace("type: enum", "type: choice"));
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "registry", "validate", file);
        Assert.Equal(1, exit);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith(file + ":") && l.Contains("metrics.app.launches.buckets") && l.Contains("strictly increasing"));
        Assert.Contains(lines, l => l.StartsWith(file + ":") && l.Contains("metrics.system.os.type"));
    }

    [Fact]
    public async Task Validate_reports_a_missing_file_readably()
    {
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "registry", "validate", Path.Combine(_dir, "missing.yaml"));
        Assert.Equal(1, exit);
        Assert.Contains("missing.yaml", stderr);
        Assert.DoesNotContain("   at ", stderr); // no stack trace
    }

    [Fact]
    public async Task Docs_writes_what_is_collected_and_why()
    {
        var (exit, stdout, _) = await CandorProcess.RunAsync(_dir, "registry", "docs", Example);
        Assert.Equal(0, exit);
        var registry = Candor.Registry.RegistryParser.ParseFile(Example);
        foreach (var m in registry.Metrics)
            Assert.Contains(m.Name, stdout);
        Assert.Contains(registry.Metrics[0].Purpose, stdout);
    }
}
