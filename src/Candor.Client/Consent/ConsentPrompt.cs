using System.Text;
using Candor.Registry;

namespace Candor.Client.Consent;

/// <summary>
/// The text an application shows before asking: generated from the registry so it cannot drift from
/// what is collected. The app must offer an explicit yes and no with neither preselected.
/// </summary>
internal static class ConsentPrompt
{
    /// <param name="onlyNew">When set, only the categories and metrics not yet asked about (after a registry upgrade).</param>
    public static string Text(MetricRegistry registry, string appName, ConsentRecord? onlyNew = null)
    {
        var (newCategories, newMetrics) = onlyNew is null ? ([], []) : ConsentScope.NotYetAsked(onlyNew, registry);
        bool Include(MetricDefinition m) => onlyNew is null || newMetrics.Contains(m.Name) || newCategories.Contains(m.Category);

        var sb = new StringBuilder();
        sb.AppendLine(onlyNew is null
            ? $"Help improve {appName} by sending anonymous usage statistics?"
            : $"{appName} would like to collect more anonymous statistics. Nothing below is collected unless you agree.");
        sb.AppendLine();
        sb.AppendLine("If you agree, the following is counted on this device and sent about once a week, as coarse ranges,");
        sb.AppendLine("with no identifier of you, this device or this installation:");
        foreach (var category in registry.Categories)
        {
            var metrics = registry.Metrics.Where(m => m.Category == category.Name && Include(m)).ToList();
            if (metrics.Count == 0)
                continue;
            sb.AppendLine();
            sb.AppendLine($"{category.Description} ({category.Name}):");
            foreach (var m in metrics)
                sb.AppendLine($"  - {m.Description} Why: {m.Purpose}");
        }
        sb.AppendLine();
        sb.AppendLine("You can see, export or erase what was collected, turn categories off, and change your mind at any time.");
        sb.AppendLine("Nothing is collected until you answer yes.");
        return sb.ToString();
    }
}
