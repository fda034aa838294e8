using System.Collections.Frozen;
using Candor.Registry;

namespace Candor.Client.Recording;

/// <summary>
/// The preallocated in-memory aggregate of one metric for the current flush interval. Writers use
/// Interlocked on the slots; the flusher drains each slot with <see cref="Interlocked.Exchange(ref long, long)"/>,
/// so a write racing a flush lands either in this flush or the next one, never nowhere.
/// </summary>
internal sealed class MetricSlots
{
    /// <summary>Counter: [0] sum. Flag: [0] set. Quantity: [0] last value, [1] has value. Enum: one per value. Histogram: one per bucket.</summary>
    public readonly long[] Values;

    public readonly MetricDefinition Definition;
    public readonly long[] Buckets;
    public readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> EnumIndex;
    public readonly int OtherIndex;

    /// <summary>False until consent covers this metric; checked first on every record, so nothing is kept without a yes.</summary>
    public volatile bool Enabled;

    public MetricSlots(MetricDefinition definition)
    {
        Definition = definition;
        Buckets = definition.Buckets.ToArray();
        var index = definition.Values.Select((v, i) => (v, i)).ToFrozenDictionary(p => p.v, p => p.i, StringComparer.Ordinal);
        EnumIndex = index.GetAlternateLookup<ReadOnlySpan<char>>();
        OtherIndex = index.GetValueOrDefault("other", -1);
        Values = new long[definition.Type switch
        {
            MetricType.Enum => definition.Values.Length,
            MetricType.Histogram => Buckets.Length,
            MetricType.Quantity => 2,
            _ => 1,
        }];
    }

    /// <summary>Index of the bucket containing <paramref name="value"/> (its lower bound is the largest one not above it), or -1 below the first.</summary>
    public int BucketIndex(long value)
    {
        int i = Array.BinarySearch(Buckets, value);
        return i >= 0 ? i : ~i - 1;
    }
}
