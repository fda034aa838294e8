using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Candor.Client.LocalStore;
using Candor.Client.Transparency;
using Candor.Protocol;
using Candor.Registry;
using Candor.Transparency;

namespace Candor.Client.Reporting;

/// <summary>Batches ready for the outbox, the receipts of their reports (one list per batch, empty when
/// commitments are off) and the observations they were built from.</summary>
internal sealed record BuiltBatches(IReadOnlyList<(byte[] Body, DateOnly OldestPeriodEnd)> Batches, IReadOnlyList<Observation> Consumed,
    IReadOnlyList<IReadOnlyList<Receipt>> Receipts);

/// <summary>
/// The one place that decides what leaves the device (privacy invariants 3 and 4). From the observations
/// of closed periods it keeps only metrics the registry lists, that have not expired and that the
/// user's consent covers; it turns numbers into bucket lower bounds or orders of magnitude, enums into
/// allowlisted values, and writes the wire format of docs/protocol.md with no identifier and no time
/// finer than the period. Every batch is then checked by the collector's own reader before it is kept.
/// </summary>
/// <param name="noise">Randomness per metric and period for <c>local_privacy</c> metrics (see <see cref="RandomizedResponse.For"/>).</param>
/// <param name="nonces">The commitment nonce of a report, by metric and period (<see cref="CommitmentNonces"/>); null: no commitments are sent.</param>
internal sealed class ReportBuilder(MetricRegistry registry, Func<MetricDefinition, bool> allowed, int retentionDays, Func<string, string, Random> noise,
    Func<string, string, byte[]>? nonces = null)
{
    /// <summary>Stay well below the collector's 64 KiB body limit and 1000 reports.</summary>
    public const int MaxBatchBytes = 60 * 1024;
    public const int MaxReportsPerBatch = 1000;

    private readonly CompiledRegistry _compiled = new(registry);

    /// <summary>The nonce generation the store keeps after sealing what this builder built (null: commitments off).</summary>
    public long? NextNonceGeneration { get; init; }

    /// <summary>
    /// Builds batches from the observations of periods that ended by <paramref name="today"/>. Observations
    /// of closed periods that may not be sent (switched off, expired, too old, below the first bucket) are
    /// consumed too: they are never to leave, so they are not kept.
    /// </summary>
    /// <param name="includeOpenPeriods">
    /// Development uploads only (<see cref="CandorClientOptions.DevelopmentUploads"/>): periods still
    /// running are sent as they stand, so a developer sees a report on a local collector at once.
    /// </param>
    public BuiltBatches Build(IEnumerable<Observation> observations, DateOnly today, bool includeOpenPeriods = false)
    {
        var closed = new List<Observation>();
        var reports = new List<(PeriodKey Period, MetricDefinition Metric, Action<Utf8JsonWriter> WriteValue)>();
        foreach (var group in observations.GroupBy(o => (o.Metric, o.Period)))
        {
            if (!PeriodKey.TryParse(group.Key.Period, out var parsed) || (parsed.Value.End > today && !includeOpenPeriods))
                continue; // still open: keeps accumulating
            var period = parsed.Value;
            closed.AddRange(group);
            var metric = registry.FindMetric(group.Key.Metric);
            if (metric is null || metric.Period != period.Kind || !metric.IsCollectableIn(period.Start) || !allowed(metric)
                || ReportingWindow.TooOld(period.End, today, retentionDays))
                continue;
            if (metric.LocalPrivacy is { } privacy)
            {
                if (metric.Type != MetricType.Flag && Randomized(metric, group.ToList(), privacy.Epsilon, noise(metric.Name, group.Key.Period)) is { } noisy)
                    reports.Add((period, metric, noisy));
                continue;
            }
            if (metric.Type == MetricType.Flag && metric.SplitTrust is not null)
                continue; // reported true or false for every period, below
            if (ValueWriter(metric, group.ToList()) is { } write)
                reports.Add((period, metric, write));
        }
        AddRandomizedFlags(closed, reports, today);

        var order = registry.Metrics.Select((m, i) => (m.Name, i)).ToDictionary(p => p.Name, p => p.i);
        reports.Sort((a, b) => a.Period.Start != b.Period.Start ? a.Period.Start.CompareTo(b.Period.Start)
            : a.Period.Kind != b.Period.Kind ? a.Period.Kind.CompareTo(b.Period.Kind)
            : order[a.Metric.Name].CompareTo(order[b.Metric.Name]));

        var batches = new List<(byte[], DateOnly)>();
        var receipts = new List<IReadOnlyList<Receipt>>();
        int start = 0;
        while (start < reports.Count)
        {
            int count = Math.Min(MaxReportsPerBatch, reports.Count - start);
            var (body, batchReceipts) = WriteCommitted(reports, start, count, today);
            while (body.Length > MaxBatchBytes && count > 1)
            {
                count /= 2;
                (body, batchReceipts) = WriteCommitted(reports, start, count, today);
            }
            SelfCheck(body, today, batchReceipts);
            batches.Add((body, reports.Skip(start).Take(count).Min(r => r.Period.End)));
            receipts.Add(batchReceipts);
            start += count;
        }
        return new BuiltBatches(batches, closed, receipts);
    }

    /// <summary>
    /// The batch body, with a commitment on every report when commitments are on. A commitment covers the
    /// value as the collector will store it, so the body is first read back with the collector's own reader
    /// and the commitments are computed from its canonical values: a value the client spells differently
    /// (a histogram's key order) still commits to what the collector keeps, and a deletion by receipt finds it.
    /// </summary>
    private (byte[] Body, IReadOnlyList<Receipt> Receipts) WriteCommitted(List<(PeriodKey Period, MetricDefinition Metric, Action<Utf8JsonWriter> WriteValue)> reports,
        int start, int count, DateOnly today)
    {
        var plain = Write(reports, start, count, null);
        if (nonces is null)
            return (plain, []);
        var read = ReportBatchReader.Read(plain, v => v == registry.Version ? _compiled : null, new BatchRules(today, retentionDays, MaxReportsPerBatch));
        if (read.Status != BatchStatus.Valid || read.Reports.Count != count)
            throw new InvalidOperationException("Candor built a batch its collector would refuse: "
                + string.Join("; ", read.Problems.Select(p => $"{p.Metric}.{p.Field}: {p.Reason}")));
        var receipts = new Receipt[count];
        for (int i = 0; i < count; i++)
        {
            var r = read.Reports[i];
            var nonce = nonces(r.Metric, r.Period);
            var commitment = ReportCommitment.Compute(nonce, registry.App, r.Metric, r.Period, r.Value);
            receipts[i] = new Receipt(ReportCommitment.Encode(commitment), ReportCommitment.Encode(nonce), registry.App, r.Metric, r.Period, r.Value,
                null, null, null, null);
        }
        return (Write(reports, start, count, receipts), receipts);
    }

    private byte[] Write(List<(PeriodKey Period, MetricDefinition Metric, Action<Utf8JsonWriter> WriteValue)> reports, int start, int count, Receipt[]? receipts)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("schema", registry.Version);
            w.WriteStartArray("reports");
            for (int i = start; i < start + count; i++)
            {
                var (period, metric, writeValue) = reports[i];
                w.WriteStartObject();
                w.WriteString("metric", metric.Name);
                w.WriteString("period", period.ToString());
                w.WritePropertyName("value");
                writeValue(w);
                if (receipts is not null)
                    w.WriteString("commitment", receipts[i - start].Commitment);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// A flag under local privacy must be able to say false too, or not reporting would give the truth away:
    /// it is reported, randomised, for every closed period in which anything was recorded. So is a split-trust
    /// flag, unrandomised: the Leader sees that a report exists, and a flag sent only when true would tell it the value.
    /// </summary>
    private void AddRandomizedFlags(List<Observation> closed, List<(PeriodKey Period, MetricDefinition Metric, Action<Utf8JsonWriter> WriteValue)> reports, DateOnly today)
    {
        foreach (var metric in registry.Metrics.Where(m => m.Type == MetricType.Flag && (m.LocalPrivacy is not null || m.SplitTrust is not null) && allowed(m)))
        {
            var periods = closed
                .Select(o => PeriodKey.TryParse(o.Period, out var p) ? PeriodKey.For(metric.Period, p.Value.Start) : (PeriodKey?)null)
                .OfType<PeriodKey>().Distinct()
                .Where(p => p.End <= today && metric.IsCollectableIn(p.Start) && !ReportingWindow.TooOld(p.End, today, retentionDays));
            foreach (var period in periods)
            {
                string text = period.ToString();
                bool truth = closed.Any(o => o.Metric == metric.Name && o.Period == text && o.Amount > 0);
                bool sent = metric.LocalPrivacy is { } privacy ? RandomizedResponse.Randomize(truth ? 1 : 0, 2, privacy.Epsilon, noise(metric.Name, text)) == 1 : truth;
                reports.Add((period, metric, w => w.WriteBooleanValue(sent)));
            }
        }
    }

    /// <summary>Counters, quantities and enums under local privacy: the true bucket or value, randomised among all of them. Histograms are not sent.</summary>
    private static Action<Utf8JsonWriter>? Randomized(MetricDefinition metric, List<Observation> items, double epsilon, Random random)
    {
        switch (metric.Type)
        {
            case MetricType.Counter or MetricType.Quantity when metric.Transform == NumberTransform.Log10:
                int magnitude = RandomizedResponse.Randomize((int)Log10Magnitude(items[^1].Amount), MetricDefinition.MaxLog10Value + 1, epsilon, random);
                return w => w.WriteNumberValue(magnitude);
            case MetricType.Counter or MetricType.Quantity:
                long value = metric.Type == MetricType.Counter ? items.Sum(o => o.Amount) : items[^1].Amount;
                if (BucketLowerBound(metric, value) is not { } bound)
                    return null;
                long noisy = metric.Buckets[RandomizedResponse.Randomize(metric.Buckets.IndexOf(bound), metric.Buckets.Length, epsilon, random)];
                return w => w.WriteNumberValue(noisy);
            case MetricType.Enum:
                var best = items.Where(o => metric.Values.Contains(o.Item) && o.Amount > 0)
                    .OrderByDescending(o => o.Amount).ThenBy(o => metric.Values.IndexOf(o.Item)).FirstOrDefault();
                if (best is null)
                    return null;
                string choice = metric.Values[RandomizedResponse.Randomize(metric.Values.IndexOf(best.Item), metric.Values.Length, epsilon, random)];
                return w => w.WriteStringValue(choice);
            default:
                // Randomising a histogram needs per-observation noise that is not built yet: it stays on the device.
                return null;
        }
    }

    /// <summary>How a metric's observations of one period are sent, or null when nothing may be sent.</summary>
    private static Action<Utf8JsonWriter>? ValueWriter(MetricDefinition metric, List<Observation> items)
    {
        switch (metric.Type)
        {
            case MetricType.Counter:
                return BucketLowerBound(metric, items.Sum(o => o.Amount)) is { } bound ? w => w.WriteNumberValue(bound) : null;
            case MetricType.Flag:
                return items.Any(o => o.Amount > 0) ? w => w.WriteBooleanValue(true) : null;
            case MetricType.Quantity:
                var x = items[^1].Amount;
                if (metric.Transform == NumberTransform.Log10)
                {
                    long magnitude = Log10Magnitude(x);
                    return w => w.WriteNumberValue(magnitude);
                }
                return BucketLowerBound(metric, x) is { } b ? w => w.WriteNumberValue(b) : null;
            case MetricType.Enum:
                // The most frequent allowlisted value of the period; ties go to the registry's order.
                var best = items.Where(o => metric.Values.Contains(o.Item) && o.Amount > 0)
                    .OrderByDescending(o => o.Amount).ThenBy(o => metric.Values.IndexOf(o.Item)).FirstOrDefault();
                return best is null ? null : w => w.WriteStringValue(best.Item);
            case MetricType.Histogram:
                var buckets = items
                    .Select(o => (Ok: long.TryParse(o.Item, NumberStyles.None, CultureInfo.InvariantCulture, out var lb), Bound: lb, o.Amount))
                    .Where(t => t.Ok && t.Amount > 0 && metric.Buckets.Contains(t.Bound))
                    .OrderBy(t => t.Bound).ToList();
                if (buckets.Count == 0)
                    return null;
                // The collector refuses counts above 10^9 in all; a device never gets near it, but clamp rather than lose the batch.
                return w =>
                {
                    w.WriteStartObject();
                    long budget = 1_000_000_000;
                    foreach (var t in buckets)
                    {
                        long n = Math.Min(t.Amount, budget - (buckets.Count - 1));
                        if (n < 1) break;
                        budget -= n;
                        w.WriteNumber(t.Bound.ToString(CultureInfo.InvariantCulture), n);
                    }
                    w.WriteEndObject();
                };
            default:
                return null;
        }
    }

    /// <summary>Lower bound of the bucket containing <paramref name="value"/>; null below the first bucket (not sent).</summary>
    public static long? BucketLowerBound(MetricDefinition metric, long value)
    {
        long? bound = null;
        foreach (var b in metric.Buckets)
        {
            if (b > value) break;
            bound = b;
        }
        return bound;
    }

    /// <summary><c>round(log10 x)</c>, clamped to 0..18; zero and negative numbers are 0.</summary>
    public static long Log10Magnitude(long x) =>
        x <= 1 ? 0 : Math.Clamp((long)Math.Round(Math.Log10(x), MidpointRounding.AwayFromZero), 0, MetricDefinition.MaxLog10Value);

    /// <summary>A batch the collector would refuse is a bug here, never something to send and lose all of.</summary>
    private void SelfCheck(byte[] body, DateOnly today, IReadOnlyList<Receipt> receipts)
    {
        var result = ReportBatchReader.Read(body, v => v == registry.Version ? _compiled : null, new BatchRules(today, retentionDays, MaxReportsPerBatch));
        if (result.Status != BatchStatus.Valid)
            throw new InvalidOperationException("Candor built a batch its collector would refuse: "
                + string.Join("; ", result.Problems.Select(p => $"{p.Metric}.{p.Field}: {p.Reason}")));
        // The receipt must describe the report exactly as the collector reads it, or deleting by receipt would miss it.
        for (int i = 0; i < receipts.Count; i++)
            if (result.Reports[i] is var r && (r.Metric != receipts[i].Metric || r.Period != receipts[i].Period || r.Value != receipts[i].Value
                || r.Commitment is null || ReportCommitment.Encode(r.Commitment) != receipts[i].Commitment))
                throw new InvalidOperationException($"Candor's receipt for {r.Metric} {r.Period} does not match the report the collector reads.");
    }
}
