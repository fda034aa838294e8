namespace Candor.Client.Recording;

/// <summary>Marks that something happened at least once in the current period (<c>type: flag</c>).</summary>
public sealed class FlagHandle
{
    private readonly MetricSlots _slots;
    internal FlagHandle(MetricSlots slots) => _slots = slots;

    /// <summary>The metric's dotted name, as in the registry.</summary>
    public string Name => _slots.Definition.Name;

    /// <summary>Marks the flag for the current period; setting it again changes nothing.</summary>
    public void Set()
    {
        if (!_slots.Enabled)
            return;
        Volatile.Write(ref _slots.Values[0], 1);
    }
}
