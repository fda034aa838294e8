using Candor.Registry;

namespace Candor.Tests.Registry;

/// <summary>Small registries for the parser tests, and a helper that returns the problems a registry produces.</summary>
internal static class RegistryTestYaml
{
    public const string FileName = "editor.yaml";

    /// <summary>A minimal valid registry; tests append metrics to it (indent 2 under <c>metrics:</c>).</summary>
    public const string Header = """
        app: org.example.editor
        version: 3
        categories:
          usage: { description: How features are used }
          system: { description: Hardware and system settings }
        metrics:

        """;

    /// <summary>A valid counter, to keep a registry valid apart from the metric under test.</summary>
    public const string Launches = """
          app.launches:
            type: counter
            category: usage
            period: week
            buckets: [1, 2, 5, 10, 20, 50, 100]
            description: Times the editor was started during the week.
            purpose: See whether weekly use grows after releases.
            expires: 2027-12-31

        """;

    /// <summary>A valid enum metric with an allowlist (the operating system family), ending in a blank line.</summary>
    public const string SystemOs = """
          system.os:
            type: enum
            category: system
            period: week
            values: [linux, windows, macos, other]
            description: The operating system family.
            purpose: Decide which platforms get packages first.
            expires: never

        """;

    public static string WithMetrics(params string[] metrics) => Header + string.Concat(metrics);

    /// <summary>Parses <paramref name="yaml"/>, which must be refused, and returns every problem.</summary>
    public static IReadOnlyList<RegistryProblem> ProblemsOf(string yaml)
    {
        var e = Assert.Throws<RegistryException>(() => RegistryParser.Parse(yaml, FileName));
        Assert.NotEmpty(e.Problems);
        return e.Problems;
    }

    /// <summary>The single problem <paramref name="yaml"/> produces.</summary>
    public static RegistryProblem SingleProblemOf(string yaml) => Assert.Single(ProblemsOf(yaml));

    /// <summary>1-based line in <paramref name="yaml"/> of the first line containing <paramref name="text"/>.</summary>
    public static int LineOf(string yaml, string text)
    {
        var lines = yaml.Split('\n');
        for (var i = 0; i < lines.Length; i++)
            if (lines[i].Contains(text, StringComparison.Ordinal))
                return i + 1;
        throw new ArgumentException($"'{text}' is not in the YAML");
    }

    /// <summary>1-based line of the <paramref name="occurrence"/>-th (1-based) line containing <paramref name="text"/>.</summary>
    public static int LineOf(string yaml, string text, int occurrence)
    {
        var lines = yaml.Split('\n');
        for (var i = 0; i < lines.Length; i++)
            if (lines[i].Contains(text, StringComparison.Ordinal) && --occurrence == 0)
                return i + 1;
        throw new ArgumentException($"'{text}' is not in the YAML that often");
    }
}
