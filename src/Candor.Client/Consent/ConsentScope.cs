using Candor.Registry;

namespace Candor.Client.Consent;

/// <summary>Which metrics of a registry the user's consent covers (privacy invariant 3's first filter).</summary>
internal static class ConsentScope
{
    /// <summary>
    /// True when consent is granted, the metric and its category were in the registry the user agreed to
    /// (so a newer registry's additions stay off until asked again), and neither is switched off.
    /// </summary>
    public static bool Covers(EffectiveConsent consent, ConsentRecord record, MetricDefinition metric) =>
        consent.IsGranted
        && record.KnownMetrics.Contains(metric.Name)
        && record.KnownCategories.Contains(metric.Category)
        && !record.DisabledMetrics.Contains(metric.Name)
        && !record.DisabledCategories.Contains(metric.Category);

    /// <summary>Categories and metrics of <paramref name="registry"/> the user has not been asked about.</summary>
    public static (string[] Categories, string[] Metrics) NotYetAsked(ConsentRecord record, MetricRegistry registry) =>
        (registry.Categories.Select(c => c.Name).Where(c => !record.KnownCategories.Contains(c)).ToArray(),
         registry.Metrics.Select(m => m.Name).Where(m => !record.KnownMetrics.Contains(m)).ToArray());
}
