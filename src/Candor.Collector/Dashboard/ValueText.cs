using System.Globalization;
using Candor.Collector.Publishing;
using Candor.Registry;
using static Candor.Collector.Dashboard.Html;

namespace Candor.Collector.Dashboard;

/// <summary>How a metric's published values read on the dashboard: their order and their labels.</summary>
internal static class ValueText
{
    /// <summary>
    /// Registry order for enum values, numeric order for buckets, "yes" before "no", the "other (withheld)"
    /// row last. Multi-period totals come in order of first appearance, which put "1" after "10-19" whenever a week lacked the 1 bucket.
    /// </summary>
    public static List<PublishedCell> Ordered(MetricDefinition m, IEnumerable<PublishedCell> cells) =>
        cells.OrderBy(c => c.Withheld).ThenBy(c => c.Value, Comparer<string>.Create((a, b) => Compare(m, a, b))).ToList();

    private static int Compare(MetricDefinition m, string a, string b)
    {
        if (m.Type == MetricType.Enum)
            return Rank(m.Values.IndexOf(a)).CompareTo(Rank(m.Values.IndexOf(b)));
        if (long.TryParse(a, NumberStyles.Integer, CultureInfo.InvariantCulture, out var x) && long.TryParse(b, NumberStyles.Integer, CultureInfo.InvariantCulture, out var y))
            return x.CompareTo(y);
        return string.CompareOrdinal(b, a); // flags: "true" before "false"; anything else (a merged row) last
    }

    private static int Rank(int index) => index < 0 ? int.MaxValue : index;

    /// <summary>"1", "2–4", "100 or more", "yes", "about 10^2 (100)": never a bare lower bound.</summary>
    public static string Label(MetricDefinition m, string value)
    {
        if (m.Type == MetricType.Flag) return value == "true" ? "yes" : value == "false" ? "no" : value;
        if (m.Transform == NumberTransform.Log10 && int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var e))
            return $"about 10^{e} ({N((long)Math.Pow(10, e))})";
        if (m.Type is MetricType.Counter or MetricType.Quantity or MetricType.Histogram && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var low))
        {
            int i = m.Buckets.IndexOf(low);
            if (i >= 0 && i < m.Buckets.Length - 1)
                return m.Buckets[i + 1] - 1 == low ? N(low) : $"{N(low)}–{N(m.Buckets[i + 1] - 1)}";
            if (i == m.Buckets.Length - 1) return $"{N(low)} or more";
        }
        return value;
    }

    /// <summary>"+12 %", "-3 %", or "new" when there was nothing before to compare with.</summary>
    public static string Change(double now, double before) =>
        before == 0 ? "new" : ((now - before) / before * 100).ToString("+0;-0;0", CultureInfo.InvariantCulture) + " %";
}
