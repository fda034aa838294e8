namespace Candor.Client.Recording;

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
