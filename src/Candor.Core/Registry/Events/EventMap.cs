using System.Collections.Immutable;
using Candor.Registry;

namespace Candor.Registry.Events;

/// <summary>
/// The registry extension that lets eos-metrics events into Candor: every event UUID the agent accepts,
/// each tied to one metric of <see cref="Registry"/>. An event whose UUID is not here never becomes data.
/// </summary>
internal sealed class EventMap
{
    private readonly ImmutableDictionary<Guid, EventMapping> _byEvent;

    public EventMap(MetricRegistry registry, IEnumerable<EventMapping> mappings)
    {
        Registry = registry;
        _byEvent = mappings.ToImmutableDictionary(m => m.Event);
    }

    public MetricRegistry Registry { get; }

    public IReadOnlyCollection<EventMapping> Mappings => _byEvent.Values.ToArray();

    public EventMapping? Find(Guid eventId) => _byEvent.GetValueOrDefault(eventId);
}
