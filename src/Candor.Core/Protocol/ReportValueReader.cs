using System.Globalization;
using System.Text;
using System.Text.Json;
using Candor.Registry;

namespace Candor.Protocol;

/// <summary>
/// A report's value against its metric's type: flags, bucketed numbers, allowlisted enum values and
/// histograms over the registry's buckets, returned in one canonical spelling (the text stored), so that
/// equal reports always land in the same cell.
/// </summary>
internal static class ReportValueReader
{
    private const long MaxHistogramCount = 1_000_000_000;

    public static string? Read(ref Utf8JsonReader reader, int index, CompiledMetric metric, List<ReportProblem> problems, out HistogramEntry[]? histogram)
    {
        histogram = null;
        var def = metric.Definition;
        switch (def.Type)
        {
            case MetricType.Flag:
                if (reader.TokenType == JsonTokenType.True) return "true";
                if (reader.TokenType == JsonTokenType.False) return "false";
                problems.Add(new(index, def.Name, "value", $"{def.Name} is a flag: its value must be true or false."));
                return null;

            case MetricType.Counter or MetricType.Quantity:
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long n) && metric.NumberText(n) is { } text)
                    return text;
                problems.Add(new(index, def.Name, "value", NumberRule(def)));
                return null;

            case MetricType.Enum:
                if (reader.TokenType == JsonTokenType.String)
                {
                    int length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
                    if (length <= 128)
                    {
                        Span<char> buffer = stackalloc char[128];
                        int c = reader.CopyString(buffer);
                        if (metric.EnumValues.TryGetValue(buffer[..c], out var canonical))
                            return canonical;
                    }
                    problems.Add(new(index, def.Name, "value", $"'{JsonText.Echo(reader.GetString())}' is not an allowed value of {def.Name} (allowed: {string.Join(", ", def.Values)})."));
                    return null;
                }
                problems.Add(new(index, def.Name, "value", $"{def.Name} is an enum: its value must be one of {string.Join(", ", def.Values)}."));
                return null;

            case MetricType.Histogram:
                return ReadHistogram(ref reader, index, metric, problems, out histogram);

            default:
                throw new InvalidOperationException($"Unhandled metric type {def.Type}.");
        }
    }

    private static string NumberRule(MetricDefinition def) => def.Transform == NumberTransform.Log10
        ? $"{def.Name} is sent as round(log10(x)): its value must be an integer from 0 to {MetricDefinition.MaxLog10Value}."
        : $"{def.Name} is sent as a bucket: its value must be one of the bucket lower bounds {string.Join(", ", def.Buckets)}.";

    private static bool HasBound(List<(long Bound, string Text, long Count)> entries, long bound)
    {
        foreach (var e in entries)
            if (e.Bound == bound)
                return true;
        return false;
    }

    private static string? ReadHistogram(ref Utf8JsonReader reader, int index, CompiledMetric metric, List<ReportProblem> problems, out HistogramEntry[]? histogram)
    {
        histogram = null;
        var def = metric.Definition;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            problems.Add(new(index, def.Name, "value", $"{def.Name} is a histogram: its value must be an object mapping bucket lower bounds to counts, like {{\"100\": 3}}."));
            reader.Skip();
            return null;
        }
        var entries = new List<(long Bound, string Text, long Count)>(def.Buckets.Length);
        long total = 0;
        bool ok = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // The usual key (unescaped, one segment) is checked on its bytes: the canonical text the registry
            // holds is the one kept, and the key's own text is made only for an error message.
            bool direct = !reader.HasValueSequence && !reader.ValueIsEscaped;
            ReadOnlySpan<byte> keyBytes = direct ? reader.ValueSpan : default;
            string? keyText = direct ? null : reader.GetString()!;
            reader.Read();
            string? canonical = null;
            long bound = 0;
            bool keyOk = direct
                ? keyBytes.Length <= 20 && long.TryParse(keyBytes, NumberStyles.None, CultureInfo.InvariantCulture, out bound)
                    && metric.BucketText.TryGetValue(bound, out canonical) && Ascii.Equals(keyBytes, canonical)
                : long.TryParse(keyText, NumberStyles.None, CultureInfo.InvariantCulture, out bound)
                    && metric.BucketText.TryGetValue(bound, out canonical) && canonical == keyText;
            string key = keyOk ? canonical! : keyText ?? Encoding.UTF8.GetString(keyBytes);
            if (!keyOk)
            {
                problems.Add(new(index, def.Name, "value", $"'{JsonText.Echo(key)}' is not a bucket of {def.Name} (buckets: {string.Join(", ", def.Buckets)})."));
                ok = false;
            }
            else if (HasBound(entries, bound))
            {
                problems.Add(new(index, def.Name, "value", $"Bucket {key} appears more than once."));
                ok = false;
            }
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long count) || count < 1 || count > MaxHistogramCount)
            {
                problems.Add(new(index, def.Name, "value", $"The count of bucket '{JsonText.Echo(key)}' must be an integer from 1 to {MaxHistogramCount}."));
                ok = false;
                reader.Skip();
                continue;
            }
            if (keyOk)
                entries.Add((bound, key, count));
            total += count;
        }
        if (!ok)
            return null;
        if (entries.Count == 0)
        {
            problems.Add(new(index, def.Name, "value", "A histogram needs at least one bucket with a count; send nothing instead."));
            return null;
        }
        if (total > MaxHistogramCount)
        {
            problems.Add(new(index, def.Name, "value", $"A histogram may count at most {MaxHistogramCount} observations."));
            return null;
        }
        entries.Sort((a, b) => a.Bound.CompareTo(b.Bound));
        histogram = new HistogramEntry[entries.Count];
        var sb = new StringBuilder("{");
        for (int i = 0; i < entries.Count; i++)
        {
            histogram[i] = new HistogramEntry(entries[i].Text, entries[i].Count);
            if (i > 0) sb.Append(',');
            sb.Append('"').Append(entries[i].Text).Append("\":").Append(entries[i].Count.ToString(CultureInfo.InvariantCulture));
        }
        return sb.Append('}').ToString();
    }
}
