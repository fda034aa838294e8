using System.Globalization;
using System.Text;

namespace Candor.Registry;

/// <summary>
/// Renders a registry as the "what we collect and why" page users read before they say yes. Output is
/// deterministic (same registry, same bytes) so it can be checked in and diffed alongside the registry.
/// </summary>
internal static class RegistryDocs
{
    /// <summary>Markdown: intro, then each category that has metrics, then its metrics in registry order.</summary>
    public static string ToMarkdown(MetricRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var md = new StringBuilder();
        // Always '\n': Environment.NewLine would make the page differ between platforms.
        void Line(string text = "") => md.Append(text).Append('\n');

        Line($"# What {Escape(registry.App)} collects and why");
        Line();
        Line($"This page is generated from version {registry.Version.ToString(CultureInfo.InvariantCulture)} of the metric registry " +
             $"of `{registry.App}`. It lists everything the application can report: nothing that is not listed " +
             "here ever leaves your device, and no metric ever carries free-form text.");
        Line();
        Line("Nothing is collected or sent unless you agree to it. You can turn each category below on or off, " +
             "see what was recorded, preview exactly what the next upload will contain, and erase it.");
        Line();
        Line("Reports carry no identifier of you, your device or your installation, and times are coarsened to a day " +
             "or a week. Numbers are sent as ranges, not exact values. Counts are published only in aggregate, " +
             "and never a count so small that it could point at a few people.");

        foreach (var category in registry.Categories)
        {
            var metrics = registry.Metrics.Where(m => m.Category == category.Name).ToList();
            if (metrics.Count == 0)
                continue;
            Line();
            Line($"## {Escape(category.Name)}: {Escape(category.Description)}");
            foreach (var metric in metrics)
                WriteMetric(metric, Line);
        }
        return md.ToString();
    }

    private static void WriteMetric(MetricDefinition metric, Action<string> line)
    {
        line("");
        line($"### `{metric.Name}`{(metric.BuiltIn ? " (built into Candor)" : "")}");
        line("");
        line(Escape(metric.Description));
        line("");
        line($"- **Why:** {Escape(metric.Purpose)}");
        line($"- **Type:** {TypeInWords(metric.Type)}");
        line($"- **Sent as:** {ValueInWords(metric)}");
        line($"- **Period:** {(metric.Period == MetricPeriod.Day ? "per day" : "per ISO week")}");
        line($"- **Expires:** {(metric.Expires is { } e ? e.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "never")}");
        if (metric.LocalPrivacy is { } privacy)
            line($"- **Local privacy:** randomised on your device before it is sent (randomised response, epsilon = " +
                 $"{privacy.Epsilon.ToString("0.###", CultureInfo.InvariantCulture)}), so a single report does not reveal the true value");
        if (metric.SplitTrust is { } split)
            line($"- **Split trust:** sent as two secret shares, one to {split.Leader.Host} and one to {split.Helper.Host}; " +
                 "neither can read your value alone, only the total of many devices (Prio3)");
    }

    public static string TypeInWords(MetricType type) => type switch
    {
        MetricType.Counter => "counter: how many times something happened in the period",
        MetricType.Flag => "flag: whether something happened at least once in the period",
        MetricType.Enum => "choice: one value from a fixed list",
        MetricType.Quantity => "quantity: a number",
        MetricType.Histogram => "histogram: how often values fell into each range during the period",
        _ => type.ToString().ToLowerInvariant(),
    };

    private static string ValueInWords(MetricDefinition metric)
    {
        if (metric.Type == MetricType.Flag)
            return "yes or no";
        if (metric.Type == MetricType.Enum)
            return "one of: " + string.Join(", ", metric.Values.Select(v => $"`{v}`"));
        if (metric.Transform == NumberTransform.Log10)
            return "the order of magnitude, round(log10(x))";
        if (metric.Buckets.IsDefaultOrEmpty)
            return "a number";
        var ranges = RangesInWords(metric.Buckets);
        return metric.Type == MetricType.Histogram ? $"a count for each range: {ranges}" : $"a range: {ranges}";
    }

    /// <summary>Bucket lower bounds as ranges: [1, 2, 5, 10] reads "1, 2–4, 5–9, 10 or more".</summary>
    public static string RangesInWords(IReadOnlyList<long> bounds)
    {
        var parts = new List<string>(bounds.Count);
        for (var i = 0; i < bounds.Count; i++)
        {
            var low = bounds[i].ToString(CultureInfo.InvariantCulture);
            if (i == bounds.Count - 1)
                parts.Add($"{low} or more");
            else if (bounds[i + 1] - 1 == bounds[i])
                parts.Add(low);
            else
                parts.Add($"{low}–{(bounds[i + 1] - 1).ToString(CultureInfo.InvariantCulture)}");
        }
        return string.Join(", ", parts);
    }

    /// <summary>
    /// Registry text goes into a page that may be rendered as HTML; escape what Markdown would read as
    /// markup and fold line breaks so a multi-line YAML description stays one paragraph.
    /// </summary>
    private static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length);
        var lastWasSpace = false;
        foreach (var c in text.Trim())
        {
            if (char.IsWhiteSpace(c))
            {
                if (!lastWasSpace)
                    sb.Append(' ');
                lastWasSpace = true;
                continue;
            }
            lastWasSpace = false;
            if (c is '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '|' or '#')
                sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }
}
