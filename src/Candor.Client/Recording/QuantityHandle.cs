namespace Candor.Client.Recording;

/// <summary>Records a number (<c>type: quantity</c>); the last value of a period is sent, bucketed or as log10.</summary>
public sealed class QuantityHandle
{
    private readonly MetricSlots _slots;
    internal QuantityHandle(MetricSlots slots) => _slots = slots;

    /// <summary>The metric's dotted name, as in the registry.</summary>
    public string Name => _slots.Definition.Name;

    /// <summary>Records the current value; the last one recorded in a period is the one sent (bucketed, or as an order of magnitude).</summary>
    public void Record(long value)
    {
        if (!_slots.Enabled)
            return;
        Volatile.Write(ref _slots.Values[0], value);
        Volatile.Write(ref _slots.Values[1], 1);
    }

    /// <summary>As <see cref="Record(long)"/> for the value rounded down; NaN and infinities record 0.</summary>
    public void Record(double value) => Record(double.IsFinite(value) ? (long)Math.Floor(value) : 0);
}
