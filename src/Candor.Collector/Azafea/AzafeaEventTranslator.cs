using System.Globalization;
using System.Text.Json;
using Candor.Protocol;
using Candor.Registry;
using Candor.Registry.Events;

namespace Candor.Collector.Azafea;

/// <summary>Why one event of an upload was not stored (the label of <c>candor_azafea_events_total</c>).</summary>
internal enum AzafeaDrop
{
    /// <summary>The event UUID is not in the app's mapping file.</summary>
    Unmapped,
    /// <summary>A payload the mapping does not allow: missing, of another type, or a value outside its allowlist.</summary>
    DisallowedPayload,
    /// <summary>The mapping takes a value this kind of event cannot give (a duration, or a count from a singular event).</summary>
    WrongKind,
    /// <summary>A monthly aggregate (<c>YYYY-MM</c>) or an unreadable period: no day or ISO week of the metric holds it.</summary>
    Period,
    /// <summary>The registry check refused the report: period in the future or past retention, metric expired, value below the first bucket.</summary>
    Refused,
}

/// <summary>
/// The one place that decides what an event of an Azafea upload becomes at the collector, the server
/// twin of the agent's EventRecorder, with the same mapping file. In order:
/// 1. An event whose UUID the mapping does not name is dropped.
/// 2. A payload must have exactly the mapping's GVariant type (none if it names none).
/// 3. The value is an occurrence, an allowlisted payload value, a number or a count, never the payload;
///    numbers are bucketed (or log10-transformed) as the client library would before sending.
/// 4. The period is the metric's day or ISO week holding the event: a singular event's day from the
///    request's clock (Azafea's timestamp algorithm, the server's clock if the sender's is off by more
///    than ten minutes), an aggregate's from its period start. Nothing finer survives.
/// 5. Each event becomes its own report and passes <see cref="ReportBatchReader"/>, the collector's
///    allowlist for every report, so the registry's rules apply exactly as to a Candor client's batch.
/// </summary>
internal sealed class AzafeaEventTranslator(EventMap map, int schema, Func<int, CompiledRegistry?> registries)
{
    private const long NanosPerSecond = 1_000_000_000;

    public sealed record Result(IReadOnlyList<ValidatedReport> Reports, IReadOnlyDictionary<AzafeaDrop, int> Drops);

    public Result Translate(AzafeaRequest request, DateTimeOffset receivedAt, BatchRules rules)
    {
        var reports = new List<ValidatedReport>();
        var drops = new Dictionary<AzafeaDrop, int>();
        void Outcome(object outcome)
        {
            if (outcome is ValidatedReport r) reports.Add(r);
            else drops[(AzafeaDrop)outcome] = drops.GetValueOrDefault((AzafeaDrop)outcome) + 1;
        }

        // Azafea's timestamp algorithm (docs/source/timestamp-algorithm.rst): trust the sender's clock
        // only if the request arrived between 1 s "before" and 10 min after it says it was sent.
        long received = receivedAt.ToUnixTimeMilliseconds() * 1_000_000;
        long gap = received - request.AbsoluteTimestamp;
        long sentAt = gap is >= -NanosPerSecond and <= 600 * NanosPerSecond ? request.AbsoluteTimestamp : received;
        long bootAt = sentAt - request.RelativeTimestamp;

        foreach (var e in request.Singulars)
        {
            long at = bootAt + e.RelativeTimestamp;
            var day = DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(at / 1_000_000, -62_135_596_800_000L, 253_402_300_799_999L)).UtcDateTime);
            Outcome(Translate(e.Event, e.Payload, count: null, day, rules));
        }
        foreach (var e in request.Aggregates)
        {
            // A daily aggregate fits a day or the ISO week holding it; a monthly one (YYYY-MM) fits neither.
            if (!DateOnly.TryParseExact(e.PeriodStart, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                Outcome(map.Find(e.Event) is null ? AzafeaDrop.Unmapped : AzafeaDrop.Period);
                continue;
            }
            Outcome(Translate(e.Event, e.Payload, e.Count, day, rules));
        }
        return new Result(reports, drops);
    }

    /// <returns>A <see cref="ValidatedReport"/>, or the <see cref="AzafeaDrop"/> that stopped it.</returns>
    private object Translate(Guid id, GVariantValue? payload, uint? count, DateOnly day, BatchRules rules)
    {
        if (map.Find(id) is not { } mapping)
            return AzafeaDrop.Unmapped;
        if (mapping.PayloadType is null ? payload is not null : payload?.Type != mapping.PayloadType)
            return AzafeaDrop.DisallowedPayload;
        var metric = mapping.Metric;
        object value;
        switch (mapping.Value)
        {
            case MappedValue.Occurrences when metric.Type == MetricType.Counter:
                if (count == 0)
                    return AzafeaDrop.DisallowedPayload;
                value = (double)(count ?? 1);
                break;
            case MappedValue.Occurrences:
                value = true;
                break;
            case MappedValue.Payload:
                var member = mapping.Field is { } f ? payload!.Children[f].Unwrapped() : payload!;
                if (metric.Type == MetricType.Enum)
                {
                    var text = member.ScalarText();
                    string? allowed = text is null ? null
                        : mapping.Values.Count > 0 ? mapping.Values.GetValueOrDefault(text)
                        : metric.Values.Contains(text) ? text : null;
                    if (allowed is null)
                        return AzafeaDrop.DisallowedPayload;
                    value = allowed;
                }
                else if (member.Number() is { } n and >= 0)
                    value = n;
                else
                    return AzafeaDrop.DisallowedPayload;
                break;
            case MappedValue.Count:
                if (count is not { } c)
                    return AzafeaDrop.WrongKind;
                value = (double)c;
                break;
            default:
                return AzafeaDrop.WrongKind; // a duration: v3 uploads carry no sequences or timers
        }
        var period = PeriodKey.For(metric.Period, day);
        return Check(metric, period, value, rules);
    }

    /// <summary>The report as a one-report batch through the collector's own reader: one allowlist for every way in.</summary>
    private object Check(MetricDefinition metric, PeriodKey period, object value, BatchRules rules)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("schema", schema);
            w.WriteString("period", period.ToString());
            w.WriteStartArray("reports");
            w.WriteStartObject();
            w.WriteString("metric", metric.Name);
            w.WritePropertyName("value");
            switch (value)
            {
                case bool b: w.WriteBooleanValue(b); break;
                case string s: w.WriteStringValue(s); break;
                default:
                    if (Coarsen(metric, (double)value) is not { } number)
                        return AzafeaDrop.Refused;
                    if (metric.Type == MetricType.Histogram)
                    {
                        w.WriteStartObject();
                        w.WriteNumber(number.ToString(CultureInfo.InvariantCulture), 1);
                        w.WriteEndObject();
                    }
                    else
                        w.WriteNumberValue(number);
                    break;
            }
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        var result = ReportBatchReader.Read(buffer.WrittenSpan, registries, rules);
        return result.Status == BatchStatus.Valid ? result.Reports[0] : AzafeaDrop.Refused;
    }

    /// <summary>What the client library sends for a number: the bucket's lower bound, or round(log10 x); null below the first bucket.</summary>
    private static long? Coarsen(MetricDefinition metric, double value)
    {
        long x = (long)Math.Floor(Math.Min(value, long.MaxValue));
        if (metric.Transform == NumberTransform.Log10 && metric.Type != MetricType.Histogram)
            return x <= 1 ? 0 : Math.Clamp((long)Math.Round(Math.Log10(x), MidpointRounding.AwayFromZero), 0, MetricDefinition.MaxLog10Value);
        long? bound = null;
        foreach (var b in metric.Buckets)
        {
            if (b > x) break;
            bound = b;
        }
        return bound;
    }
}
