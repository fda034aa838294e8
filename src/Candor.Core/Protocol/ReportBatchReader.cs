using System.Text.Json;
using Candor.Registry;

namespace Candor.Protocol;

/// <summary>
/// Reads and checks a report batch (wire format v1, see docs/protocol.md) against the registry version
/// it names. This is the collector's allowlist: a batch is valid only if every report is, so callers
/// store all of it or none of it. Strict by design: unknown or duplicate keys, fractional numbers,
/// values outside the registry, periods of the wrong granularity, in the future or past retention are
/// all refused, each with its own reason.
/// This class reads the envelope and the reports array; <see cref="ReportReader"/> one report,
/// <see cref="ReportValueReader"/> its value, <see cref="JsonText"/> bounded text reads.
/// </summary>
internal static class ReportBatchReader
{
    /// <summary>Deepest nesting a valid batch has is 4 (batch, reports, report, histogram); allow a little slack only.</summary>
    private const int MaxDepth = 6;

    /// <summary>Bound on listed problems, so a hostile batch cannot make the answer huge.</summary>
    public const int MaxProblems = 100;

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
                if (reader.TokenType == JsonTokenType.String && JsonText.TryReadPeriod(ref reader, out var p))
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
                problems.Add(new(-1, null, JsonText.Echo(reader.GetString()) ?? "", "Unknown field; a batch has only schema, period and reports."));
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
            var report = ReportReader.Read(ref reader, index, registry, batchPeriod, rules, problems);
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
}
