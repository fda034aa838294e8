using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Candor.Registry;

/// <summary>
/// One version of an application's metric registry: the allowlist both the client and the collector
/// enforce. Immutable once parsed; build it with <see cref="RegistryParser"/>.
/// </summary>
public sealed class MetricRegistry
{
    /// <summary>Name of the built-in flag, set on each day the application runs, from which actives are counted.</summary>
    public const string ActiveMetricName = "candor.active";

    /// <summary>Name of the built-in flag, set once per ISO week the application runs, from which weekly actives are counted.</summary>
    public const string ActiveWeekMetricName = "candor.active_week";

    /// <summary>Category of <see cref="ActiveMetricName"/> when the registry does not declare it itself.</summary>
    public const string ActivityCategoryName = "activity";

    private readonly FrozenDictionary<string, MetricDefinition> _metricsByName;
    private readonly FrozenDictionary<string, CategoryDefinition> _categoriesByName;

    public MetricRegistry(string app, int version, ImmutableArray<CategoryDefinition> categories,
        ImmutableArray<MetricDefinition> metrics, string? sourceText = null)
    {
        App = app;
        Version = version;
        Categories = categories;
        Metrics = metrics;
        SourceText = sourceText;
        _metricsByName = metrics.ToFrozenDictionary(m => m.Name, StringComparer.Ordinal);
        _categoriesByName = categories.ToFrozenDictionary(c => c.Name, StringComparer.Ordinal);
    }

    /// <summary>Application id: lowercase letters, digits, '.', '-'.</summary>
    public string App { get; }

    /// <summary>Registry version; report batches name it as <c>schema</c>.</summary>
    public int Version { get; }

    /// <summary>Categories in file order (the built-in activity category last if it was added).</summary>
    public ImmutableArray<CategoryDefinition> Categories { get; }

    /// <summary>Metrics in file order, then the built-ins <c>candor.active</c> and <c>candor.active_week</c>.</summary>
    public ImmutableArray<MetricDefinition> Metrics { get; }

    /// <summary>The YAML this registry was parsed from, when known (kept so a collector can republish it).</summary>
    public string? SourceText { get; }

    public MetricDefinition? FindMetric(string name) => _metricsByName.GetValueOrDefault(name);

#if NET9_0_OR_GREATER // the typed-metrics generator compiles this file for netstandard2.0, which has no alternate lookups
    public FrozenDictionary<string, MetricDefinition>.AlternateLookup<ReadOnlySpan<char>> MetricLookup =>
        _metricsByName.GetAlternateLookup<ReadOnlySpan<char>>();
#endif

    public CategoryDefinition? FindCategory(string name) => _categoriesByName.GetValueOrDefault(name);
}

public sealed record CategoryDefinition(string Name, string Description);

public enum MetricType { Counter, Flag, Enum, Quantity, Histogram }

/// <summary>Granularity of a metric's period: a UTC calendar day or an ISO 8601 week.</summary>
public enum MetricPeriod { Day, Week }

/// <summary>How a number is coarsened before it leaves the device when no buckets are given.</summary>
public enum NumberTransform { None, Log10 }

/// <summary>Optional local differential privacy for a metric (randomised response on the client).</summary>
public sealed record LocalPrivacySettings(double Epsilon);

public sealed record MetricDefinition
{
    /// <summary>Largest value a <c>log10</c>-transformed quantity may take (10^18 is near long.MaxValue).</summary>
    public const int MaxLog10Value = 18;

    public required string Name { get; init; }
    public required MetricType Type { get; init; }
    public required string Category { get; init; }
    public required MetricPeriod Period { get; init; }

    /// <summary>Bucket lower bounds, strictly increasing; counters, quantities (unless transformed) and histograms.</summary>
    public ImmutableArray<long> Buckets { get; init; } = [];

    /// <summary>Allowed values of an enum.</summary>
    public ImmutableArray<string> Values { get; init; } = [];

    public NumberTransform Transform { get; init; } = NumberTransform.None;
    public required string Description { get; init; }
    public required string Purpose { get; init; }

    /// <summary>Last day on which the metric may be collected; <c>null</c> means it never expires.</summary>
    public DateOnly? Expires { get; init; }

    public LocalPrivacySettings? LocalPrivacy { get; init; }

    /// <summary>Split-trust aggregation (Prio3 over DAP): the value leaves only as secret shares for two aggregators.</summary>
    public SplitTrustSettings? SplitTrust { get; init; }

    /// <summary>True for metrics Candor adds to every registry (such as <c>candor.active</c>).</summary>
    public bool BuiltIn { get; init; }

    /// <summary>1-based line of the metric in its registry file, 0 when not parsed from a file.</summary>
    public int Line { get; init; }

    /// <summary>
    /// Whether a report for a period starting on <paramref name="periodStart"/> may carry this metric.
    /// A metric expires after its <c>expires</c> day: periods that start later are refused, so a late
    /// upload for a period the metric still covered is accepted.
    /// </summary>
    public bool IsCollectableIn(DateOnly periodStart) => Expires is not { } e || periodStart <= e;
}
