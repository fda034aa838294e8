namespace Candor.Client.Recording;

/// <summary>Records observations into the registry's buckets (<c>type: histogram</c>); values below the first bucket are dropped.</summary>
public sealed class HistogramHandle
{
    private readonly MetricSlots _slots;
    internal HistogramHandle(MetricSlots slots) => _slots = slots;

    public string Name => _slots.Definition.Name;

    public void Record(long value)
    {
        if (!_slots.Enabled)
            return;
        int i = _slots.BucketIndex(value);
        if (i >= 0)
            Interlocked.Increment(ref _slots.Values[i]);
    }

    public void Record(double value)
    {
        if (double.IsFinite(value))
            Record((long)Math.Floor(value));
    }
}
