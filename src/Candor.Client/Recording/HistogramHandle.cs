namespace Candor.Client.Recording;

/// <summary>Records observations into the registry's buckets (<c>type: histogram</c>); values below the first bucket are dropped.</summary>
public sealed class HistogramHandle
{
    private readonly MetricSlots _slots;
    internal HistogramHandle(MetricSlots slots) => _slots = slots;

    /// <summary>The metric's dotted name, as in the registry.</summary>
    public string Name => _slots.Definition.Name;

    /// <summary>Counts <paramref name="value"/> in the bucket whose lower bound is the largest not above it; values below the first bucket are dropped.</summary>
    public void Record(long value)
    {
        if (!_slots.Enabled)
            return;
        int i = _slots.BucketIndex(value);
        if (i >= 0)
            Interlocked.Increment(ref _slots.Values[i]);
    }

    /// <summary>As <see cref="Record(long)"/> for the value rounded down; NaN and infinities are dropped.</summary>
    public void Record(double value)
    {
        if (double.IsFinite(value))
            Record((long)Math.Floor(value));
    }
}
