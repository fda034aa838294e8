namespace Candor.Tests.Infrastructure;

/// <summary>Registries written for the tests, so assertions do not depend on the shipped examples.</summary>
public static class TestRegistries
{
    public const string App = "org.example.test";

    /// <summary>Sunday of ISO week 2026-W47; the tests' "now".</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    public const string Week = "2026-W47";

    public static string V1 => Yaml(1, "");

    /// <summary>Version 2 adds one metric.</summary>
    public static string V2 => Yaml(2, """
          feature.darkmode:
            type: flag
            category: usage
            period: week
            description: Dark mode was on at least once during the week.
            purpose: Decide whether dark mode deserves more work.
            expires: never
        """);

    private static string Yaml(int version, string extra) => $"""
        app: {App}
        version: {version}
        categories:
          usage: {"{"} description: How features are used {"}"}
          system: {"{"} description: Hardware and system settings {"}"}
          performance: {"{"} description: How fast the application is {"}"}
        metrics:
          app.launches:
            type: counter
            category: usage
            period: week
            buckets: [1, 2, 5, 10, 20, 50, 100]
            description: Times the application was started during the week.
            purpose: See whether weekly use grows after releases.
            expires: never
          system.os:
            type: enum
            category: system
            period: week
            values: [linux, windows, macos, other]
            description: The operating system family.
            purpose: Decide which platforms get packages first.
            expires: never
          feature.spellcheck:
            type: flag
            category: usage
            period: week
            description: The spell checker was used at least once during the week.
            purpose: Decide whether to keep maintaining the spell checker.
            expires: 2027-12-31
          install.age_days:
            type: quantity
            category: system
            period: week
            transform: log10
            description: Days since installation, as an order of magnitude.
            purpose: Tell new installations from old ones.
            expires: never
          startup.ms:
            type: histogram
            category: performance
            period: week
            buckets: [0, 100, 250, 500, 1000, 2500]
            description: Start-up times in milliseconds during the week.
            purpose: Notice start-up regressions.
            expires: never
          legacy.counter:
            type: counter
            category: usage
            period: week
            buckets: [1, 10]
            description: A metric that is no longer collected.
            purpose: Kept to show expiry.
            expires: 2026-10-01
        {extra}
        """;

    /// <summary>A batch with one valid report of every type, for week 2026-W47 plus today's active flag.</summary>
    public const string FullBatch = """
        { "schema": 1, "period": "2026-W47",
          "reports": [ { "metric": "app.launches", "value": 10 },
                       { "metric": "system.os", "value": "linux" },
                       { "metric": "feature.spellcheck", "value": true },
                       { "metric": "install.age_days", "value": 2 },
                       { "metric": "startup.ms", "value": { "250": 1, "100": 3 } },
                       { "metric": "candor.active", "period": "2026-11-20", "value": true } ] }
        """;

    public static string WriteFiles(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "test-v1.yaml"), V1);
        File.WriteAllText(Path.Combine(directory, "test-v2.yaml"), V2);
        return directory;
    }
}
