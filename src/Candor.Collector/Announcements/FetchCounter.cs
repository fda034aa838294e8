using System.Globalization;
using Candor.Announcements;
using Candor.Collector.Ingest;
using Candor.Collector.Registry;
using Candor.Collector.Storage;
using Candor.Protocol;
using Candor.Registry;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.Announcements;

/// <summary>
/// Counts announcement fetches as ordinary registry metrics, and only those the app's newest registry
/// declares (so each one is on the "what we collect and why" page): <c>motd.fetch</c> (a flag, one
/// report per fetch: the daily total) for every fetch, and for an opted-in fetch <c>motd.version</c>,
/// <c>motd.platform</c>, <c>motd.language</c> (enums) and <c>motd.install_age</c> (a log10 quantity).
/// A parameter whose metric is missing, or whose value the registry does not allow, is not counted.
/// Nothing else about the request (address, headers, time of day) is kept.
/// </summary>
public sealed class FetchCounter(IngestQueue queue, TimeProvider time, ILogger<FetchCounter> log)
{
    public const string FetchMetric = FetchParameterNames.FetchMetric;

    public static readonly IReadOnlyDictionary<string, string> ParameterMetrics = FetchParameterNames.Metrics;

    public async Task CountAsync(AppRegistries registries, IReadOnlyDictionary<string, string> parameters)
    {
        var registry = registries.Latest.Registry;
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var reports = new List<ValidatedReport>();
        Add(registry.FindMetric(FetchMetric), "true");
        foreach (var (parameter, metric) in ParameterMetrics)
            if (parameters.TryGetValue(parameter, out var value))
                Add(registry.FindMetric(metric), value);
        if (reports.Count == 0)
            return;
        try
        {
            await queue.SubmitAsync(new AppendRequest(registries.App, reports, null, null, new IngestResponse(reports.Count, 0), today));
        }
        catch (Exception e) when (e is IngestOverloadedException or StoreUnavailableException)
        {
            // The announcements still go out: a lost count must never keep a security notice from a user.
            log.LogWarning("An announcements fetch was not counted: {Reason}", e.GetType().Name);
        }

        void Add(MetricDefinition? m, string value)
        {
            if (m is null)
                return;
            var period = PeriodKey.For(m.Period, today);
            if (!m.IsCollectableIn(period.Start) || Canonical(m, value) is not { } canonical)
                return;
            reports.Add(new ValidatedReport(m.Name, period.ToString(), canonical, null));
        }
    }

    private static string? Canonical(MetricDefinition m, string value) => m.Type switch
    {
        MetricType.Flag => value == "true" ? "true" : null,
        MetricType.Enum => m.Values.Contains(value, StringComparer.Ordinal) ? value : null,
        MetricType.Quantity when m.Transform == NumberTransform.Log10 =>
            int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= MetricDefinition.MaxLog10Value
                ? n.ToString(CultureInfo.InvariantCulture) : null,
        _ => null,
    };
}
