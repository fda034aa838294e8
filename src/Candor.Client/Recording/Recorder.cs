using System.Collections.Frozen;
using System.Globalization;
using Candor.Client.LocalStore;
using Candor.Protocol;
using Candor.Registry;

namespace Candor.Client.Recording;

/// <summary>
/// Hands out typed handles by name and drains their in-memory aggregates into observations for the
/// local store. Handles are created once per metric and cached, so <c>client.Counter("x")</c> in a
/// loop costs a dictionary lookup and nothing more.
/// </summary>
internal sealed class Recorder
{
    private readonly FrozenDictionary<string, MetricSlots> _slots;
    private readonly MetricSlots _disabled;
    private readonly bool _throwOnMisuse;
    private readonly Dictionary<string, object> _handles = new(StringComparer.Ordinal);

    public Recorder(MetricRegistry registry, bool throwOnMisuse)
    {
        _slots = registry.Metrics.ToFrozenDictionary(m => m.Name, m => new MetricSlots(m), StringComparer.Ordinal);
        _throwOnMisuse = throwOnMisuse;
        // The sink for misuse in release mode: never enabled, so recording into it does nothing.
        _disabled = new MetricSlots(new MetricDefinition
        {
            Name = "candor.unknown", Type = MetricType.Counter, Category = "none", Period = MetricPeriod.Day,
            Description = "", Purpose = "", Buckets = [0], Values = ["other"],
        });
    }

    public IEnumerable<MetricSlots> All => _slots.Values;

    public MetricSlots? Find(string name) => _slots.GetValueOrDefault(name);

    public T Handle<T>(string name, MetricType type, Func<MetricSlots, T> create) where T : class
    {
        lock (_handles)
        {
            if (_handles.TryGetValue(name, out var existing) && existing is T typed)
                return typed;
            var slots = _slots.GetValueOrDefault(name);
            if (slots is null || slots.Definition.Type != type)
            {
                if (_throwOnMisuse)
                    throw new ArgumentException(slots is null
                        ? $"The registry does not list a metric named '{name}'."
                        : $"{name} is a {slots.Definition.Type.ToString().ToLowerInvariant()}, not a {type.ToString().ToLowerInvariant()}.", nameof(name));
                return create(_disabled);
            }
            var handle = create(slots);
            _handles[name] = handle;
            return handle;
        }
    }

    /// <summary>Empties every slot; what was in them becomes observations for the periods containing <paramref name="today"/>.</summary>
    public List<Observation> Drain(DateOnly today)
    {
        var result = new List<Observation>();
        foreach (var s in _slots.Values)
        {
            var d = s.Definition;
            string period = PeriodKey.For(d.Period, today).ToString();
            switch (d.Type)
            {
                case MetricType.Counter:
                    if (Interlocked.Exchange(ref s.Values[0], 0) is var sum and > 0)
                        result.Add(new(d.Name, period, "", sum));
                    break;
                case MetricType.Flag:
                    if (Interlocked.Exchange(ref s.Values[0], 0) > 0)
                        result.Add(new(d.Name, period, "", 1));
                    break;
                case MetricType.Quantity:
                    if (Interlocked.Exchange(ref s.Values[1], 0) > 0)
                        result.Add(new(d.Name, period, "", Volatile.Read(ref s.Values[0])));
                    break;
                case MetricType.Enum:
                    for (int i = 0; i < s.Values.Length; i++)
                        if (Interlocked.Exchange(ref s.Values[i], 0) is var n and > 0)
                            result.Add(new(d.Name, period, d.Values[i], n));
                    break;
                case MetricType.Histogram:
                    for (int i = 0; i < s.Values.Length; i++)
                        if (Interlocked.Exchange(ref s.Values[i], 0) is var n and > 0)
                            result.Add(new(d.Name, period, s.Buckets[i].ToString(CultureInfo.InvariantCulture), n));
                    break;
            }
        }
        return result;
    }
}
