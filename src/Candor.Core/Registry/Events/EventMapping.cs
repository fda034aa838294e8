using System.Collections.Immutable;
using Candor.Registry;

namespace Candor.Registry.Events;

/// <summary>What a mapped event contributes to its metric.</summary>
internal enum MappedValue
{
    /// <summary>Counters add one per event (an aggregate adds its count); flags are set.</summary>
    Occurrences,

    /// <summary>The payload (or one field of a tuple payload) is the value: an enum value or a number.</summary>
    Payload,

    /// <summary>An aggregate event's count is the number recorded.</summary>
    Count,

    /// <summary>Seconds from the first to the last event of a sequence, or an aggregate timer's running time.</summary>
    Duration,
}

/// <summary>
/// One eos-metrics event UUID and the registry metric it feeds. <see cref="PayloadType"/> is the only
/// GVariant type the event may carry (null: it must carry none); <see cref="Values"/> maps payload values
/// to the metric's allowed values. Anything else about the event is dropped on the device.
/// </summary>
internal sealed record EventMapping(
    Guid Event,
    string? Name,
    MetricDefinition Metric,
    string? PayloadType,
    int? Field,
    MappedValue Value,
    ImmutableDictionary<string, string> Values,
    int Line);
