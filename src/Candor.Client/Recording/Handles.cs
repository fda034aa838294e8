namespace Candor.Client.Recording;

// The handles an application records through. Each is a thin view over preallocated slots: recording
// allocates nothing and takes no lock, and does nothing at all until consent covers the metric.

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

/// <summary>Marks that something happened at least once in the current period (<c>type: flag</c>).</summary>
public sealed class FlagHandle
{
    private readonly MetricSlots _slots;
    internal FlagHandle(MetricSlots slots) => _slots = slots;

    public string Name => _slots.Definition.Name;

    public void Set()
    {
        if (!_slots.Enabled)
            return;
        Volatile.Write(ref _slots.Values[0], 1);
    }
}

/// <summary>Records one of the registry's allowed values (<c>type: enum</c>); the most frequent of a period is sent.</summary>
public sealed class EnumHandle
{
    private readonly MetricSlots _slots;
    private readonly bool _throwOnMisuse;
    internal EnumHandle(MetricSlots slots, bool throwOnMisuse) => (_slots, _throwOnMisuse) = (slots, throwOnMisuse);

    public string Name => _slots.Definition.Name;

    public void Set(string value) => Set(value.AsSpan());

    public void Set(ReadOnlySpan<char> value)
    {
        if (!_slots.EnumIndex.TryGetValue(value, out int index))
        {
            if (_throwOnMisuse)
                throw new ArgumentException($"'{value}' is not an allowed value of {Name} (allowed: {string.Join(", ", _slots.Definition.Values)}).", nameof(value));
            // Release: the registry's rule, "other" if it is listed, else dropped.
            index = _slots.OtherIndex;
            if (index < 0)
                return;
        }
        if (!_slots.Enabled)
            return;
        Interlocked.Increment(ref _slots.Values[index]);
    }
}

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
