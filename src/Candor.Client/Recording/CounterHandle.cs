namespace Candor.Client.Recording;

/// <summary>Counts events in the current period (<c>type: counter</c>).</summary>
public sealed class CounterHandle
{
    private readonly MetricSlots _slots;
    internal CounterHandle(MetricSlots slots) => _slots = slots;

    /// <summary>The metric's dotted name, as in the registry.</summary>
    public string Name => _slots.Definition.Name;

    /// <summary>Counts one event. Lock-free, allocation-free, no I/O; does nothing without consent or when the metric is switched off.</summary>
    public void Increment() => Add(1);

    /// <summary>Counts <paramref name="count"/> events at once; zero and negative counts are ignored.</summary>
    public void Add(long count)
    {
        if (!_slots.Enabled || count <= 0)
            return;
        Interlocked.Add(ref _slots.Values[0], count);
    }
}
