using System.Buffers;
using System.Globalization;
using System.Text.Json;
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
internal sealed class FetchCounter(IngestQueue queue, TimeProvider time, ILogger<FetchCounter> log)
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
            if (m is not null && Judge(registries, m, value, today) is { } report)
                reports.Add(report);
        }
    }

    /// <summary>
    /// A fetch parameter becomes a report only if <see cref="ReportBatchReader"/> accepts it as one: the same
    /// rules a client's batch meets (metric listed and not expired, value allowed for its type, buckets or
    /// transform, period of the metric's granularity), with the same canonical value text. A second
    /// allowlist here could drift from the reader's and store a value no batch could carry. Each parameter is
    /// read as a batch of its own, because a batch is all or nothing and one bad parameter must not drop the rest.
    /// </summary>
    internal static ValidatedReport? Judge(AppRegistries registries, MetricDefinition metric, string value, DateOnly today)
    {
        var registry = registries.Latest.Registry;
        var batch = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(batch))
        {
            json.WriteStartObject();
            json.WriteNumber("schema", registry.Version);
            json.WriteString("period", PeriodKey.For(metric.Period, today).ToString());
            json.WriteStartArray("reports");
            json.WriteStartObject();
            json.WriteString("metric", metric.Name);
            json.WritePropertyName("value");
            WriteValue(json, metric.Type, value);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }
        var result = ReportBatchReader.Read(batch.WrittenSpan, registries.Version, new BatchRules(today));
        return result.Status == BatchStatus.Valid && result.Reports.Count == 1 ? result.Reports[0] : null;
    }

    /// <summary>How a query string's text is spelled as the JSON value a client would send; whether it is allowed is the reader's call.</summary>
    private static void WriteValue(Utf8JsonWriter json, MetricType type, string value)
    {
        if (type == MetricType.Flag && value is "true" or "false")
            json.WriteBooleanValue(value == "true");
        else if (type is MetricType.Counter or MetricType.Quantity && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            json.WriteNumberValue(n);
        else
            json.WriteStringValue(value);
    }
}
