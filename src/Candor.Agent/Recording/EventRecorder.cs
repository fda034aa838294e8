using Candor.Agent.DBus;
using Candor.Registry.Events;
using Candor.Client;
using Candor.Registry;
using Tmds.DBus.Protocol;

namespace Candor.Agent.Recording;

/// <summary>
/// The one place that decides what an eos-metrics event becomes. In order:
/// 1. Without the machine's "yes" nothing happens at all: not a count, not a drop count.
/// 2. An event whose UUID the mapping does not name is dropped (counted as unmapped).
/// 3. A payload must have exactly the mapping's GVariant type (none if it names none), else dropped.
/// 4. The value a metric receives is an occurrence, an allowlisted payload value, a number, a count
///    or a duration, never the payload itself; anything outside the allowlist is dropped.
/// 5. What passes goes through the client's normal API, so the registry, categories, bucketing and the
///    consent gate of the library apply exactly as for any application.
/// </summary>
internal sealed class EventRecorder(CandorClient client, EventMap map, DropCounts drops)
{
    public bool Enabled => client.Consent.IsGranted;

    public void Record(Occurrence occurrence)
    {
        if (!Enabled)
            return;
        if (map.Find(occurrence.Event) is not { } mapping)
        {
            drops.Add(DropReason.Unmapped);
            return;
        }
        if (!PayloadsAllowed(mapping, occurrence))
        {
            drops.Add(DropReason.DisallowedPayload);
            return;
        }
        if (Apply(mapping, occurrence) is { } reason)
            drops.Add(reason);
    }

    private static bool PayloadsAllowed(EventMapping mapping, Occurrence occurrence)
    {
        if (mapping.PayloadType is null)
            return occurrence.Payloads.Count == 0 && !occurrence.PayloadMissing;
        if (occurrence.PayloadMissing || occurrence.Payloads.Count == 0)
            return false;
        return occurrence.Payloads.All(p => GVariantType.Of(p) == mapping.PayloadType);
    }

    /// <returns>Null when recorded, else why it was dropped.</returns>
    private DropReason? Apply(EventMapping mapping, Occurrence o)
    {
        var metric = mapping.Metric;
        switch (mapping.Value)
        {
            case MappedValue.Occurrences when metric.Type == MetricType.Counter:
                long add = o.Kind == EventKind.Aggregate ? o.Count : 1;
                // eos-metrics allows negative aggregate counts ("used as a counter"); a Candor counter only grows.
                if (add <= 0)
                    return DropReason.DisallowedPayload;
                client.Counter(metric.Name).Add(add);
                return null;
            case MappedValue.Occurrences:
                client.Flag(metric.Name).Set();
                return null;
            case MappedValue.Payload:
                var member = Member(mapping, o.Payloads[0]);
                if (metric.Type == MetricType.Enum)
                {
                    var text = GVariantType.ScalarText(member);
                    string? allowed = text is null ? null
                        : mapping.Values.Count > 0 ? mapping.Values.GetValueOrDefault(text)
                        : metric.Values.Contains(text) ? text : null;
                    if (allowed is null)
                        return DropReason.DisallowedPayload;
                    client.Enum(metric.Name).Set(allowed);
                    return null;
                }
                return GVariantType.Number(member) is { } number ? RecordNumber(metric, number) : DropReason.DisallowedPayload;
            case MappedValue.Count:
                return o.Kind == EventKind.Aggregate ? RecordNumber(metric, o.Count) : DropReason.WrongKind;
            default:
                return o.Duration is { } d ? RecordNumber(metric, d.TotalSeconds) : DropReason.WrongKind;
        }
    }

    private static VariantValue Member(EventMapping mapping, VariantValue payload) =>
        mapping.Field is { } field ? payload.GetItem(field) : payload;

    private DropReason? RecordNumber(MetricDefinition metric, double value)
    {
        if (value < 0)
            return DropReason.DisallowedPayload;
        if (metric.Type == MetricType.Histogram)
            client.Histogram(metric.Name).Record((long)Math.Floor(value));
        else
            client.Quantity(metric.Name).Record(value);
        return null;
    }
}
