using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace Candor.Registry;

/// <summary>
/// Parses and validates registry YAML into a <see cref="MetricRegistry"/>. This is the one place that
/// decides what a registry may declare, and so what may ever leave a device: every rule is here, and a
/// file that breaks any of them is refused as a whole with every problem listed (docs/registry.md).
/// </summary>
public static partial class RegistryParser
{
    /// <summary>The most metrics a registry may declare.</summary>
    public const int MaxMetrics = 1000;

    /// <summary>The most buckets a metric may declare.</summary>
    public const int MaxBuckets = 64;

    /// <summary>The most values an enum may allow.</summary>
    public const int MaxEnumValues = 256;

    /// <summary>The largest local-privacy epsilon a registry may set (a larger one protects almost nothing).</summary>
    public const double MaxEpsilon = 10;

    /// <summary>Description of the category Candor adds for <c>candor.active</c> when a registry does not declare it.</summary>
    public const string ActivityCategoryDescription = "Whether the application was used on a day, to count active installations.";

    /// <summary>The built-in daily flag every registry carries; daily actives are counted from it.</summary>
    public static MetricDefinition ActiveMetric { get; } = new()
    {
        Name = MetricRegistry.ActiveMetricName,
        Type = MetricType.Flag,
        Category = MetricRegistry.ActivityCategoryName,
        Period = MetricPeriod.Day,
        Description = "The application ran on this day (one report per day it ran).",
        Purpose = "Count active installations per day without any identifier.",
        Expires = null,
        BuiltIn = true,
    };

    /// <summary>
    /// The built-in weekly flag: weekly actives cannot be counted from daily flags without linking one
    /// installation's days, which Candor never does, so the client sends this once per week it ran.
    /// </summary>
    public static MetricDefinition ActiveWeekMetric { get; } = new()
    {
        Name = MetricRegistry.ActiveWeekMetricName,
        Type = MetricType.Flag,
        Category = MetricRegistry.ActivityCategoryName,
        Period = MetricPeriod.Week,
        Description = "The application ran at least once during this ISO week (one report per week it ran).",
        Purpose = "Count active installations per week without any identifier.",
        Expires = null,
        BuiltIn = true,
    };

    /// <summary>Parses registry YAML.</summary>
    /// <param name="yaml">The registry text; kept as <see cref="MetricRegistry.SourceText"/>.</param>
    /// <param name="fileName">Name used in problem locations.</param>
    /// <exception cref="RegistryException">The registry is malformed or breaks a rule; lists every problem.</exception>
    public static MetricRegistry Parse(string yaml, string fileName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(fileName);

        RegistryYamlNode? root;
        try
        {
            root = RegistryYamlReader.Read(yaml);
        }
        catch (YamlException e)
        {
            // The tree is unusable past a syntax error, so this is the only problem worth reporting.
            throw new RegistryException([new RegistryProblem(fileName, Math.Max(1, (int)e.Start.Line),
                Math.Max(1, (int)e.Start.Column), RegistryProblem.YamlField, YamlMessage(e))]);
        }

        var reader = new Reader(fileName);
        var registry = reader.Read(root, yaml);
        if (reader.Problems.Count > 0 || registry is null)
            throw new RegistryException(reader.Problems
                .OrderBy(p => p.Line).ThenBy(p => p.Column)); // OrderBy is stable: same spot keeps finding order
        return registry;
    }

    /// <summary>Reads and parses a registry file; problems name the file by <paramref name="path"/> as given.</summary>
    /// <exception cref="RegistryException">The registry is malformed or breaks a rule.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
#if !CANDOR_GENERATOR // analyzers may not read files (RS1035): the compiler hands the generator the text
    public static MetricRegistry ParseFile(string path) => Parse(File.ReadAllText(path), path);
#endif

    /// <summary>Application id: <c>^[a-z0-9][a-z0-9.-]{0,99}$</c>.</summary>
    public static bool IsValidAppId(string app) => NameRules.IsValidAppId(app);

    /// <summary>
    /// Metric name syntax: dotted lowercase, at least two segments each matching <c>[a-z][a-z0-9_]*</c>,
    /// at most 64 characters. Syntax only: <c>candor.*</c> passes here but is reserved in registries.
    /// </summary>
    public static bool IsValidMetricName(string name) => NameRules.IsValidMetricName(name);

    private static string YamlMessage(YamlException e)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: 3, Col: 6, Idx: 21): "; the problem
        // carries the position already.
        var message = YamlPositionPrefix().Replace(e.Message, "");
        return message.Length == 0 ? "The file is not well-formed YAML." : message;
    }

    internal const string YamlPositionPrefixPattern = @"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\):\s*";

    [GeneratedRegex(YamlPositionPrefixPattern)]
    private static partial Regex YamlPositionPrefix();

    private static readonly string[] TopLevelKeys = ["app", "version", "categories", "metrics"];
    private static readonly string[] CategoryKeys = ["description"];
    private static readonly string[] MetricKeys =
        ["type", "category", "period", "description", "purpose", "expires", "buckets", "values", "transform", "local_privacy", "split_trust"];
    private static readonly string[] LocalPrivacyKeys = ["epsilon"];
    private static readonly string[] SplitTrustKeys = ["task_id", "leader", "helper", "leader_hpke_config", "helper_hpke_config", "vdaf"];
    private static readonly string[] VdafKeys = ["type", "length", "chunk_length"];

    private static readonly string[] TypeNames = ["counter", "flag", "enum", "quantity", "histogram"];
    private static readonly string AllowedTypes = string.Join(", ", TypeNames);
}
