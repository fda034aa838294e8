using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Candor.Registry;
using Candor.Transparency;

namespace Candor.Protocol;

/// <summary>What the reader needs besides the body: today's date and the store's limits.</summary>
/// <param name="Today">Today in UTC, from the collector's clock.</param>
/// <param name="RetentionDays">Periods that ended this many days ago or earlier are refused: they would be purged at once.</param>
/// <param name="MaxReports">Most reports one batch may carry.</param>
public sealed record BatchRules(DateOnly Today, int RetentionDays = 90, int MaxReports = 1000);

public enum BatchStatus { Valid, Malformed, UnknownSchema, Invalid }

/// <summary>The outcome of reading one batch: either every report, valid and canonical, or the problems.</summary>
public sealed class BatchReadResult
{
    public BatchStatus Status { get; init; }
    public int? Schema { get; init; }
    public IReadOnlyList<ReportProblem> Problems { get; init; } = [];
    public IReadOnlyList<ValidatedReport> Reports { get; init; } = [];
}

/// <summary>
/// Reads and checks a report batch (wire format v1, see docs/protocol.md) against the registry version
/// it names. This is the collector's allowlist: a batch is valid only if every report is, so callers
/// store all of it or none of it. Strict by design: unknown or duplicate keys, fractional numbers,
/// values outside the registry, periods of the wrong granularity, in the future or past retention are
/// all refused, each with its own reason.
/// </summary>
public static class ReportBatchReader
{
    /// <summary>Deepest nesting a valid batch has is 4 (batch, reports, report, histogram); allow a little slack only.</summary>
    private const int MaxDepth = 6;

    /// <summary>Bound on listed problems, so a hostile batch cannot make the answer huge.</summary>
    public const int MaxProblems = 100;

    private const long MaxHistogramCount = 1_000_000_000;
    private const int MaxEchoedChars = 64;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false };

    public static BatchReadResult Read(ReadOnlySpan<byte> utf8Json, Func<int, CompiledRegistry?> registryForSchema, BatchRules rules)
    {
        try
        {
            return ReadCore(utf8Json, registryForSchema, rules);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            // Utf8JsonReader throws on syntax errors, invalid UTF-8 and depth; all mean "not a batch".
            return Malformed(new ReportProblem(-1, null, "(body)", "The body is not valid JSON: " + e.Message));
        }
    }

    private static BatchReadResult Malformed(ReportProblem p) => new() { Status = BatchStatus.Malformed, Problems = [p] };

    private static BatchReadResult ReadCore(ReadOnlySpan<byte> json, Func<int, CompiledRegistry?> registryForSchema, BatchRules rules)
    {
        // Pass 1: the envelope. "reports" may come before "schema", so reports are read in pass 2.
        var reader = new Utf8JsonReader(json, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return Malformed(new ReportProblem(-1, null, "(body)", "A batch must be a JSON object."));

        var problems = new List<ReportProblem>();
        int? schema = null;
        PeriodKey? batchPeriod = null;
        bool seenSchema = false, seenPeriod = false, seenReports = false, envelopeChangedAfterReports = false;
        Utf8JsonReader reportsStart = default;
        // Clients put schema and period before reports (ours always do): then the reports are checked
        // in this same pass. Otherwise, or if the envelope changes after them, they are read again below.
        List<ValidatedReport>? early = null;
        List<ReportProblem>? earlyProblems = null;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (seenReports && (reader.ValueTextEquals("schema"u8) || reader.ValueTextEquals("period"u8)))
                envelopeChangedAfterReports = true;
            if (reader.ValueTextEquals("schema"u8))
            {
                if (Duplicate(ref seenSchema, "schema", problems)) { reader.Read(); reader.Skip(); continue; }
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int s) && s >= 1)
                    schema = s;
                else
                    problems.Add(new(-1, null, "schema", "schema must be a positive integer: the registry version the reports follow."));
                reader.Skip();
            }
            else if (reader.ValueTextEquals("period"u8))
            {
                if (Duplicate(ref seenPeriod, "period", problems)) { reader.Read(); reader.Skip(); continue; }
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && TryReadPeriod(ref reader, out var p))
                    batchPeriod = p;
                else
                {
                    problems.Add(new(-1, null, "period", "period must be a day (YYYY-MM-DD) or an ISO week (YYYY-Www)."));
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("reports"u8))
            {
                if (Duplicate(ref seenReports, "reports", problems)) { reader.Read(); reader.Skip(); continue; }
                reader.Read();
                reportsStart = reader;
                if (reader.TokenType != JsonTokenType.StartArray)
                    problems.Add(new(-1, null, "reports", "reports must be an array of reports."));
                else if (schema is { } known && problems.Count == 0 && registryForSchema(known) is { } early1)
                {
                    earlyProblems = [];
                    early = ReadReports(ref reader, early1, batchPeriod, rules, earlyProblems);
                    continue;
                }
                reader.Skip();
            }
            else
            {
                problems.Add(new(-1, null, Echo(reader.GetString()) ?? "", "Unknown field; a batch has only schema, period and reports."));
                reader.Read();
                reader.Skip();
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject)
            return Malformed(new ReportProblem(-1, null, "(body)", "A batch must be a JSON object."));
        if (reader.Read())
            return Malformed(new ReportProblem(-1, null, "(body)", "Unexpected content after the batch object."));

        bool useEarly = early is not null && !envelopeChangedAfterReports;
        if (useEarly)
            problems.AddRange(earlyProblems!);
        if (!seenSchema)
            problems.Add(new(-1, null, "schema", "schema is required: the registry version the reports follow."));
        if (!seenReports)
            problems.Add(new(-1, null, "reports", "reports is required."));
        if (problems.Count > 0 || schema is null)
            return new() { Status = BatchStatus.Invalid, Schema = schema, Problems = problems.Take(MaxProblems).ToList() };

        var registry = registryForSchema(schema.Value);
        if (registry is null)
            return new() { Status = BatchStatus.UnknownSchema, Schema = schema, Problems = [new(-1, null, "schema", $"Registry version {schema} is not known to this collector.")] };

        List<ValidatedReport> reports;
        if (useEarly)
        {
            reports = early!;
        }
        else
        {
            // Pass 2: every report, checked against that registry version.
            reader = reportsStart;
            reports = ReadReports(ref reader, registry, batchPeriod, rules, problems);
        }
        if (problems.Count == 0 && reports.Count == 0)
            problems.Add(new(-1, null, "reports", "A batch must carry at least one report."));

        return problems.Count > 0
            ? new() { Status = BatchStatus.Invalid, Schema = schema, Problems = problems.Take(MaxProblems).ToList() }
            : new() { Status = BatchStatus.Valid, Schema = schema, Reports = reports };
    }

    /// <summary>Reads the reports array (the reader on its StartArray) to its end, or until too many problems.</summary>
    private static List<ValidatedReport> ReadReports(ref Utf8JsonReader reader, CompiledRegistry registry, PeriodKey? batchPeriod,
        BatchRules rules, List<ReportProblem> problems)
    {
        var reports = new List<ValidatedReport>(16);
        int index = -1;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            index++;
            if (index >= rules.MaxReports)
            {
                problems.Add(new(-1, null, "reports", $"A batch may carry at most {rules.MaxReports} reports."));
                reader.Skip();
                break;
            }
            int before = problems.Count;
            var report = ReadReport(ref reader, index, registry, batchPeriod, rules, problems);
            if (report is { } r && problems.Count == before)
            {
                if (Contains(reports, r))
                    problems.Add(new(index, r.Metric, "metric", $"Another report in this batch already carries {r.Metric} for {r.Period}."));
                else if (r.Commitment is { } c && ContainsCommitment(reports, c))
                    // One commitment for two reports would put one leaf in the log for two reports, and
                    // a deletion by receipt could then only ever remove one of them.
                    problems.Add(new(index, r.Metric, "commitment", "Another report in this batch carries the same commitment; each report needs its own nonce."));
                else
                    reports.Add(r);
            }
            if (problems.Count >= MaxProblems)
                break;
        }
        // Leave the reader on the array's end, whatever stopped the loop, so the envelope can go on.
        while (reader.TokenType != JsonTokenType.EndArray || reader.CurrentDepth != 1)
        {
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth > 1)
                reader.Skip();
            if (!reader.Read())
                break;
        }
        return reports;
    }

    /// <summary>Whether a report for the same metric and period is already in the batch (metric names are the registry's instances).</summary>
    private static bool Contains(List<ValidatedReport> reports, in ValidatedReport r)
    {
        foreach (var x in reports)
            if (ReferenceEquals(x.Metric, r.Metric) && x.Period == r.Period)
                return true;
        return false;
    }

    private static bool ContainsCommitment(List<ValidatedReport> reports, byte[] commitment)
    {
        foreach (var x in reports)
            if (x.Commitment is { } c && c.AsSpan().SequenceEqual(commitment))
                return true;
        return false;
    }

    private static bool Duplicate(ref bool seen, string field, List<ReportProblem> problems)
    {
        if (seen)
        {
            problems.Add(new(-1, null, field, $"{field} appears more than once."));
            return true;
        }
        seen = true;
        return false;
    }

    private static ValidatedReport? ReadReport(ref Utf8JsonReader reader, int index, CompiledRegistry registry,
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
                    problems.Add(new(index, Echo(metricText), "metric", $"Unknown metric: registry version {registry.Registry.Version} of {registry.Registry.App} does not list it."));
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
                if (reader.TokenType == JsonTokenType.String && TryReadPeriod(ref reader, out var p))
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
                problems.Add(new(index, metricText, Echo(reader.GetString()) ?? "", "Unknown field; a report has only metric, value, period and commitment."));
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
            value = ReadValue(ref valueReader, index, metric, problems, out histogram);

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

    private static string? ReadValue(ref Utf8JsonReader reader, int index, CompiledMetric metric, List<ReportProblem> problems, out HistogramEntry[]? histogram)
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
                    problems.Add(new(index, def.Name, "value", $"'{Echo(reader.GetString())}' is not an allowed value of {def.Name} (allowed: {string.Join(", ", def.Values)})."));
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
            string key = reader.GetString()!;
            reader.Read();
            bool keyOk = long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out long bound)
                && metric.BucketText.TryGetValue(bound, out var canonical) && canonical == key;
            if (!keyOk)
            {
                problems.Add(new(index, def.Name, "value", $"'{Echo(key)}' is not a bucket of {def.Name} (buckets: {string.Join(", ", def.Buckets)})."));
                ok = false;
            }
            else if (entries.Exists(e => e.Bound == bound))
            {
                problems.Add(new(index, def.Name, "value", $"Bucket {key} appears more than once."));
                ok = false;
            }
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long count) || count < 1 || count > MaxHistogramCount)
            {
                problems.Add(new(index, def.Name, "value", $"The count of bucket '{Echo(key)}' must be an integer from 1 to {MaxHistogramCount}."));
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

    private static bool TryReadPeriod(ref Utf8JsonReader reader, out PeriodKey period)
    {
        period = default;
        int length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        if (length > 16)
            return false;
        Span<char> buffer = stackalloc char[16];
        int n = reader.CopyString(buffer);
        if (PeriodKey.TryParse(buffer[..n], out var p))
        {
            period = p.Value;
            return true;
        }
        return false;
    }

    /// <summary>Client-supplied text echoed in an error is cut short, so answers stay small.</summary>
    private static string? Echo(string? s) => s is null || s.Length <= MaxEchoedChars ? s : s[..MaxEchoedChars] + "…";
}
