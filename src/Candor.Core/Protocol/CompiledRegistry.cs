using System.Collections.Frozen;
using System.Globalization;
using Candor.Registry;

namespace Candor.Protocol;

/// <summary>
/// A registry version prepared for fast checking: the canonical text of every value a report may
/// carry is built once here, so that checking a report allocates nothing for allowlisted values.
/// </summary>
internal sealed class CompiledRegistry
{
    private readonly FrozenDictionary<string, CompiledMetric> _metrics;

    public CompiledRegistry(MetricRegistry registry)
    {
        Registry = registry;
        _metrics = registry.Metrics.ToFrozenDictionary(m => m.Name, m => new CompiledMetric(m), StringComparer.Ordinal);
        Lookup = _metrics.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public MetricRegistry Registry { get; }

    internal FrozenDictionary<string, CompiledMetric>.AlternateLookup<ReadOnlySpan<char>> Lookup { get; }
}

internal sealed class CompiledMetric
{
    private static readonly string[] SmallIntegers = Enumerable.Range(0, MetricDefinition.MaxLog10Value + 1)
        .Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    public CompiledMetric(MetricDefinition definition)
    {
        Definition = definition;
        BucketText = definition.Buckets.ToFrozenDictionary(b => b, b => b.ToString(CultureInfo.InvariantCulture));
        var values = definition.Values.ToFrozenSet(StringComparer.Ordinal);
        EnumValues = values.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public MetricDefinition Definition { get; }
    public FrozenDictionary<long, string> BucketText { get; }
    public FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> EnumValues { get; }

    /// <summary>Canonical text of an allowed number, or null when the number is not allowed.</summary>
    public string? NumberText(long value)
    {
        if (Definition.Transform == NumberTransform.Log10)
            return value is >= 0 and <= MetricDefinition.MaxLog10Value ? SmallIntegers[value] : null;
        return BucketText.GetValueOrDefault(value);
    }
}
