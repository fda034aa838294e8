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

    /// <summary>
    /// A registry from parts already checked. Applications get one from <see cref="RegistryParser.Parse"/> or
    /// <see cref="RegistryParser.ParseFile"/>, which enforce the rules; this constructor checks nothing.
    /// </summary>
    /// <param name="app">The application id.</param>
    /// <param name="version">The registry version.</param>
    /// <param name="categories">The categories, in file order.</param>
    /// <param name="metrics">The metrics, in file order, built-ins last.</param>
    /// <param name="sourceText">The YAML parsed, when known.</param>
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

    /// <summary>The metric named <paramref name="name"/> (ordinal comparison), or null when the registry does not list it.</summary>
    public MetricDefinition? FindMetric(string name) => _metricsByName.GetValueOrDefault(name);

#if NET9_0_OR_GREATER // the typed-metrics generator compiles this file for netstandard2.0, which has no alternate lookups
    /// <summary>The metrics by name, searchable with a span (the collector's ingest path looks names up without allocating).</summary>
    internal FrozenDictionary<string, MetricDefinition>.AlternateLookup<ReadOnlySpan<char>> MetricLookup =>
        _metricsByName.GetAlternateLookup<ReadOnlySpan<char>>();
#endif

    /// <summary>The category named <paramref name="name"/>, or null when the registry does not declare it.</summary>
    public CategoryDefinition? FindCategory(string name) => _categoriesByName.GetValueOrDefault(name);
}

/// <summary>A category of metrics: the unit a user switches on or off.</summary>
/// <param name="Name">The category's name, as metrics refer to it.</param>
/// <param name="Description">What the category covers, shown to users.</param>
public sealed record CategoryDefinition(string Name, string Description);

/// <summary>What kind of value a metric records, and so how a report carries it (docs/registry.md).</summary>
public enum MetricType
{
    /// <summary>How many times something happened, summed over the period, sent as the lower bound of its bucket.</summary>
    Counter,

    /// <summary>Whether something happened in the period: true or false.</summary>
    Flag,

    /// <summary>One of the values the registry lists.</summary>
    Enum,

    /// <summary>A number, sent as the lower bound of its bucket or, with <see cref="NumberTransform.Log10"/>, as its order of magnitude.</summary>
    Quantity,

    /// <summary>A distribution: how many values fell into each bucket.</summary>
    Histogram,
}

/// <summary>Granularity of a metric's period: a UTC calendar day or an ISO 8601 week.</summary>
public enum MetricPeriod
{
    /// <summary>A UTC calendar day (<c>YYYY-MM-DD</c>).</summary>
    Day,

    /// <summary>An ISO 8601 week (<c>YYYY-Www</c>).</summary>
    Week,
}

/// <summary>How a number is coarsened before it leaves the device when no buckets are given.</summary>
public enum NumberTransform
{
    /// <summary>No transform: the metric's buckets coarsen the number.</summary>
    None,

    /// <summary>The number leaves as its order of magnitude, <c>round(log10(x))</c>.</summary>
    Log10,
}

/// <summary>Optional local differential privacy for a metric (randomised response on the client).</summary>
/// <param name="Epsilon">The privacy parameter of the randomised response, per report; smaller is more private.</param>
public sealed record LocalPrivacySettings(double Epsilon);

/// <summary>One metric of a registry: what may be recorded, how it is coarsened and why it is collected.</summary>
public sealed record MetricDefinition
{
    /// <summary>Largest value a <c>log10</c>-transformed quantity may take (10^18 is near long.MaxValue).</summary>
    public const int MaxLog10Value = 18;

    /// <summary>The dotted name, such as <c>editor.saves</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The kind of value recorded.</summary>
    public required MetricType Type { get; init; }

    /// <summary>The category it belongs to; switching the category off stops the metric.</summary>
    public required string Category { get; init; }

    /// <summary>The period values are gathered over and reported for.</summary>
    public required MetricPeriod Period { get; init; }

    /// <summary>Bucket lower bounds, strictly increasing; counters, quantities (unless transformed) and histograms.</summary>
    public ImmutableArray<long> Buckets { get; init; } = [];

    /// <summary>Allowed values of an enum.</summary>
    public ImmutableArray<string> Values { get; init; } = [];

    /// <summary>How a quantity is coarsened when it has no buckets.</summary>
    public NumberTransform Transform { get; init; } = NumberTransform.None;

    /// <summary>What the metric measures, shown to users.</summary>
    public required string Description { get; init; }

    /// <summary>Why it is collected, shown to users.</summary>
    public required string Purpose { get; init; }

    /// <summary>Last day on which the metric may be collected; <c>null</c> means it never expires.</summary>
    public DateOnly? Expires { get; init; }

    /// <summary>Randomised response on the device, or null for none.</summary>
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
