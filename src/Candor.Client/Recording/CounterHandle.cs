namespace Candor.Client.Recording;

/// <summary>Counts events in the current period (<c>type: counter</c>).</summary>
public sealed class CounterHandle
{
    private readonly MetricSlots _slots;
    internal CounterHandle(MetricSlots slots) => _slots = slots;

    public string Name => _slots.Definition.Name;

    public void Increment() => Add(1);

    public void Add(long count)
    {
        if (!_slots.Enabled || count <= 0)
            return;
        Interlocked.Add(ref _slots.Values[0], count);
    }
}
