using System.Text.Json;
using Candor.Registry;
using Candor.Transparency;

namespace Candor.Protocol;

/// <summary>
/// One report object of a batch: its fields (metric, value, period, commitment, each once), the metric
/// looked up in the registry version, the period checked against the metric's granularity, today and
/// retention. The value itself is checked by <see cref="ReportValueReader"/>.
/// </summary>
internal static class ReportReader
{
    public static ValidatedReport? Read(ref Utf8JsonReader reader, int index, CompiledRegistry registry,
        PeriodKey? batchPeriod, BatchRules rules, List<ReportProblem> problems)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            problems.Add(new(index, null, "(report)", "Each report must be a JSON object with metric and value."));
            reader.Skip();
            return null;
        }

        CompiledMetric? metric = null;
        string? metricText = null;
        bool seenMetric = false, seenValue = false, seenPeriod = false, periodBad = false, seenCommitment = false;
        PeriodKey? ownPeriod = null;
        byte[]? commitment = null;
        Utf8JsonReader valueReader = default;
        int before = problems.Count;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("metric"u8))
            {
                if (seenMetric) { problems.Add(new(index, metricText, "metric", "metric appears more than once.")); reader.Read(); reader.Skip(); continue; }
                seenMetric = true;
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    problems.Add(new(index, null, "metric", "metric must be a string naming a registry metric."));
                    reader.Skip();
                    continue;
                }
                metric = LookUpMetric(ref reader, registry, out metricText);
                if (metric is null)
                    problems.Add(new(index, JsonText.Echo(metricText), "metric", $"Unknown metric: registry version {registry.Registry.Version} of {registry.Registry.App} does not list it."));
            }
            else if (reader.ValueTextEquals("value"u8))
            {
                if (seenValue) { problems.Add(new(index, metricText, "value", "value appears more than once.")); reader.Read(); reader.Skip(); continue; }
                seenValue = true;
                reader.Read();
                valueReader = reader;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("period"u8))
            {
                if (seenPeriod) { problems.Add(new(index, metricText, "period", "period appears more than once.")); reader.Read(); reader.Skip(); continue; }
                seenPeriod = true;
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && JsonText.TryReadPeriod(ref reader, out var p))
                    ownPeriod = p;
                else
                {
                    periodBad = true;
                    problems.Add(new(index, metricText, "period", "period must be a day (YYYY-MM-DD) or an ISO week (YYYY-Www)."));
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("commitment"u8))
            {
                if (seenCommitment) { problems.Add(new(index, metricText, "commitment", "commitment appears more than once.")); reader.Read(); reader.Skip(); continue; }
                seenCommitment = true;
                reader.Read();
                // Canonical spelling only (ReportCommitment.TryDecode): a second spelling of one commitment
                // would slip past the "already known" check and put one report in the log twice.
                if (reader.TokenType != JsonTokenType.String || !ReportCommitment.TryDecode(ReadShortString(ref reader), out var bytes))
                {
                    problems.Add(new(index, metricText, "commitment",
                        $"commitment must be {ReportCommitment.Size} bytes in unpadded base64url ({ReportCommitment.EncodedLength} characters of A-Z a-z 0-9 - _)."));
                    reader.Skip();
                }
                else
                {
                    commitment = bytes;
                }
            }
            else
            {
                problems.Add(new(index, metricText, JsonText.Echo(reader.GetString()) ?? "", "Unknown field; a report has only metric, value, period and commitment."));
                reader.Read();
                reader.Skip();
            }
        }

        if (!seenMetric)
            problems.Add(new(index, null, "metric", "metric is required."));
        if (!seenValue)
            problems.Add(new(index, metricText, "value", "value is required."));
        if (metric is null)
            return null;

        var def = metric.Definition;
        var period = ownPeriod ?? batchPeriod;
        if (period is { } pk)
            CheckPeriod(index, def, pk, rules, problems);
        else if (!periodBad)
            problems.Add(new(index, def.Name, "period", "No period: give one on the report or on the batch."));

        string? value = null;
        HistogramEntry[]? histogram = null;
        if (seenValue)
            value = ReportValueReader.Read(ref valueReader, index, metric, problems, out histogram);

        if (problems.Count > before || value is null || period is null)
            return null;
        return new ValidatedReport(def.Name, period.Value.ToString(), value, histogram, commitment);
    }

    /// <summary>A string token of at most 64 characters, or null (a longer one is no commitment).</summary>
    private static string? ReadShortString(ref Utf8JsonReader reader)
    {
        int length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        return length <= 64 * 6 ? reader.GetString() is { Length: <= 64 } s ? s : null : null;
    }

    private static CompiledMetric? LookUpMetric(ref Utf8JsonReader reader, CompiledRegistry registry, out string? text)
    {
        // Names are at most 64 characters; anything longer cannot be a metric, so no allocation for a lookup.
        int length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        if (length <= 128)
        {
            Span<char> buffer = stackalloc char[128];
            int n = reader.CopyString(buffer);
            if (registry.Lookup.TryGetValue(buffer[..n], out var m))
            {
                text = m.Definition.Name;
                return m;
            }
        }
        text = reader.GetString();
        return null;
    }

    private static void CheckPeriod(int index, MetricDefinition def, PeriodKey period, BatchRules rules, List<ReportProblem> problems)
    {
        if (period.Kind != def.Period)
        {
            problems.Add(new(index, def.Name, "period", def.Period == MetricPeriod.Week
                ? $"{def.Name} is collected per ISO week: its period must look like 2026-W47, not {period}."
                : $"{def.Name} is collected per day: its period must look like 2026-11-22, not {period}."));
            return;
        }
        // A day ahead of UTC is allowed: it is already that day somewhere (UTC+14).
        var latest = PeriodKey.For(def.Period, rules.Today.AddDays(1));
        if (period.Start > latest.Start)
            problems.Add(new(index, def.Name, "period", $"The period {period} is in the future."));
        else if (period.End <= rules.Today.AddDays(-rules.RetentionDays))
            problems.Add(new(index, def.Name, "period", $"The period {period} is older than this collector's retention of {rules.RetentionDays} days."));
        else if (!def.IsCollectableIn(period.Start))
            problems.Add(new(index, def.Name, "metric", $"{def.Name} expired on {def.Expires:yyyy-MM-dd}; it is not collected for {period}."));
    }
}
