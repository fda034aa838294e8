using System.Globalization;
using System.Text.Json;

namespace Candor.Registry;

/// <summary>
/// How a split-trust metric's value becomes a Prio3 measurement on the device, and how the collected
/// aggregate becomes counts per value again for the publisher. Both directions live here so that they
/// cannot drift apart: bucket i of the histogram is the i-th value the registry allows, in the same order
/// as the plain publication lists them.
/// </summary>
internal static class SplitTrustMeasurement
{
    /// <summary>The values of the metric, in histogram order (a flag: true, then false).</summary>
    public static IReadOnlyList<string> Domain(MetricDefinition def) => def.Type switch
    {
        MetricType.Flag => ["true", "false"],
        MetricType.Enum => def.Values,
        _ when def.Transform == NumberTransform.Log10 => Enumerable.Range(0, MetricDefinition.MaxLog10Value + 1).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList(),
        _ => def.Buckets.Select(b => b.ToString(CultureInfo.InvariantCulture)).ToList(),
    };

    /// <summary>
    /// A report's value as the measurement of the metric's VDAF: a flag's 1 or 0, else the index of the value
    /// among <see cref="Domain"/>. Null for a value the registry does not allow (the report builder never makes one).
    /// </summary>
    public static ulong? Of(MetricDefinition def, JsonElement value)
    {
        if (def.Type == MetricType.Flag)
            return value.ValueKind switch { JsonValueKind.True => 1, JsonValueKind.False => 0, _ => null };
        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
        var index = text is null ? -1 : IndexOf(Domain(def), text);
        return index < 0 ? null : (ulong)index;
    }

    /// <summary>
    /// The true counts per value from a collected aggregate: a Count's number of ones (and the rest of the
    /// batch as false), or a Histogram's comma-separated counts in <see cref="Domain"/> order.
    /// </summary>
    /// <exception cref="FormatException">The aggregate does not have the metric's shape.</exception>
    public static Dictionary<string, long> Counts(MetricDefinition def, string aggregate, ulong reports)
    {
        var parts = aggregate.Split(',');
        var numbers = parts.Select(p => long.Parse(p, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
        var domain = Domain(def);
        if (def.Type == MetricType.Flag)
        {
            if (numbers.Length != 1 || (ulong)numbers[0] > reports)
                throw new FormatException($"a count aggregate of {reports} reports is one number up to {reports}, not '{aggregate}'");
            return new Dictionary<string, long>(StringComparer.Ordinal) { ["true"] = numbers[0], ["false"] = (long)reports - numbers[0] };
        }
        if (numbers.Length != domain.Count)
            throw new FormatException($"the aggregate has {numbers.Length} buckets; {def.Name} has {domain.Count} values");
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < numbers.Length; i++)
            counts[domain[i]] = numbers[i];
        return counts;
    }

    private static int IndexOf(IReadOnlyList<string> domain, string value)
    {
        for (var i = 0; i < domain.Count; i++)
            if (domain[i] == value)
                return i;
        return -1;
    }
}
