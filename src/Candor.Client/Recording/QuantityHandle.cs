namespace Candor.Client.Recording;

/// <summary>Records a number (<c>type: quantity</c>); the last value of a period is sent, bucketed or as log10.</summary>
public sealed class QuantityHandle
{
    private readonly MetricSlots _slots;
    internal QuantityHandle(MetricSlots slots) => _slots = slots;

    public string Name => _slots.Definition.Name;

    public void Record(long value)
    {
        if (!_slots.Enabled)
            return;
        Volatile.Write(ref _slots.Values[0], value);
        Volatile.Write(ref _slots.Values[1], 1);
    }

    public void Record(double value) => Record(double.IsFinite(value) ? (long)Math.Floor(value) : 0);
}
