using System.Text.Json;

namespace Candor.Collector.Transparency;

/// <summary>
/// The rollup cells one stored report counts in, from its canonical value: a histogram
/// (<c>{"100":3,"250":1}</c>) counts one report in each of its buckets with the bucket's observations;
/// any other value counts one report and one observation in its own cell. Deletion by receipt takes
/// exactly these off again, so the rollups end as if the report had never come.
/// </summary>
public static class RollupCells
{
    public static IReadOnlyList<(string Value, long Total)> Of(string canonicalValue)
    {
        if (!canonicalValue.StartsWith('{'))
            return [(canonicalValue, 1)];
        using var json = JsonDocument.Parse(canonicalValue);
        return json.RootElement.EnumerateObject().Select(b => (b.Name, b.Value.GetInt64())).ToList();
    }
}
