namespace Candor.Client.Recording;

/// <summary>Records one of the registry's allowed values (<c>type: enum</c>); the most frequent of a period is sent.</summary>
public sealed class EnumHandle
{
    private readonly MetricSlots _slots;
    private readonly bool _throwOnMisuse;
    internal EnumHandle(MetricSlots slots, bool throwOnMisuse) => (_slots, _throwOnMisuse) = (slots, throwOnMisuse);

    /// <summary>The metric's dotted name, as in the registry.</summary>
    public string Name => _slots.Definition.Name;

    /// <summary>
    /// Records one occurrence of <paramref name="value"/>, which must be one of the registry's <c>values</c>. Any other
    /// value counts as <c>other</c> when the registry lists it and is dropped otherwise; with
    /// <see cref="CandorClientOptions.ThrowOnMisuse"/> (for development) it throws <see cref="ArgumentException"/> instead.
    /// </summary>
    public void Set(string value) => Set(value.AsSpan());

    /// <inheritdoc cref="Set(string)"/>
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
