using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Candor.Client.Outbox;
using Candor.Client.Transparency;
using Candor.Client.Transport;
using Candor.Dap;
using Candor.Protocol;
using Candor.Registry;

namespace Candor.Client.Upload;

/// <summary>
/// Sends the reports of split-trust metrics (registry <c>split_trust</c>, docs/dap.md) as DAP-09 reports
/// instead of plain values: the period's value is sharded with Prio3, one share sealed to the Leader's and
/// one to the Helper's HPKE configuration as the registry (the app's release) gives them, and the report is
/// <c>PUT</c> to the Leader through the same transport as every other report (so through the Oblivious
/// HTTP relay when one is set). Everything before this point (consent, switched-off categories, the local
/// view, export, the outbox) treats the report like any other: only the last step differs.
///
/// A decorator of the plain sender (<see cref="IReportSender"/>), inside the outbox-owning
/// <see cref="OutboxSender"/> like it: a batch without split-trust reports goes to the plain sender untouched.
/// </summary>
/// <param name="store">Receipts of reports that left as DAP reports are forgotten there (the log never sees them).</param>
internal sealed class DapReportSender(MetricRegistry registry, ClientTransport transport, IReportSender plain, LocalStore.ClientStore store, LocalStore.ClientLog log, Lock local) : IReportSender
{
    private readonly ConcurrentDictionary<string, (DapHpkeConfig Leader, DapHpkeConfig Helper, DapVdaf Vdaf)> _tasks = new(StringComparer.Ordinal);

    /// <summary>Whether the registry has any split-trust metric: if not, the worker never needs this sender.</summary>
    public static bool Needed(MetricRegistry registry) => registry.Metrics.Any(m => m.SplitTrust is not null);

    /// <summary>
    /// Sends <paramref name="batch"/>: each split-trust report as a DAP report, the rest (if any) through
    /// the plain sender as a batch without them. A retry sends the same DAP report id (derived from the
    /// batch's idempotency key, which never changes), so the Leader's replay protection counts a report once
    /// however often the answer was lost.
    /// </summary>
    public async Task<UploadOutcome> SendAsync(OutboxBatch batch, CancellationToken cancel)
    {
        var (split, rest) = Partition(batch.Body);
        if (split.Count == 0)
            return await plain.SendAsync(batch, cancel).ConfigureAwait(false);

        int accepted = 0;
        var refused = new List<string>();
        foreach (var (index, def, period, value) in split)
        {
            var outcome = await SendOneAsync(batch.IdempotencyKey, index, def, period, value, cancel).ConfigureAwait(false);
            if (outcome.Result == UploadResult.Retry)
                return outcome; // the whole batch comes back later; reports already taken are refused as replays then
            if (outcome.Result == UploadResult.Accepted)
                accepted++;
            else
                refused.Add(outcome.Reason);
        }
        // The log never sees a DAP report, so its receipt could never be found there: forget it, or the device would raise a false alarm.
        lock (local)
            store.Use(c =>
            {
                using var tx = c.BeginTransaction();
                ReceiptBook.KeepOnly(c, tx, batch.Id, rest is null ? new HashSet<string>() : ReceiptBook.CommitmentsIn(rest));
                tx.Commit();
            });
        if (refused.Count > 0)
            log.Write($"The split-trust aggregator refused {refused.Count} report(s) for good: {string.Join("; ", refused)}", Microsoft.Extensions.Logging.LogLevel.Warning);
        if (rest is null)
            return accepted > 0
                ? new UploadOutcome(UploadResult.Accepted, "accepted by the split-trust Leader", accepted)
                : new UploadOutcome(UploadResult.Dropped, string.Join("; ", refused), Summary: "refused by the split-trust Leader");
        var others = await plain.SendAsync(batch with { Body = rest }, cancel).ConfigureAwait(false);
        return others.Result == UploadResult.Accepted ? others with { Accepted = others.Accepted + accepted } : others;
    }

    private async Task<UploadOutcome> SendOneAsync(string batchKey, int index, MetricDefinition def, PeriodKey period, JsonElement value, CancellationToken cancel)
    {
        var split = def.SplitTrust!;
        if (split.Leader != transport.BaseUrl)
            // The device speaks to its collector (or relay) only; a registry naming another Leader is a deployment mistake.
            return new UploadOutcome(UploadResult.Dropped, $"{def.Name}: the registry's Leader {split.Leader} is not this client's collector {transport.BaseUrl}");
        if (SplitTrustMeasurement.Of(def, value) is not { } measurement)
            return new UploadOutcome(UploadResult.Dropped, $"{def.Name}: the value is not one the registry allows");
        var (leaderConfig, helperConfig, vdaf) = _tasks.GetOrAdd(split.TaskId, _ => (
            DapHpkeConfig.Decode(DapTask.FromBase64Url(split.LeaderHpkeConfig)),
            DapHpkeConfig.Decode(DapTask.FromBase64Url(split.HelperHpkeConfig)),
            DapVdaf.Parse(JsonNode.Parse(split.VdafJson))));
        var taskId = DapTask.FromBase64Url(split.TaskId);
        // The time is the period's first day: no finer time leaves the device (invariant 4), and it is a multiple of any time precision up to a day.
        var time = (ulong)new DateTimeOffset(period.Start.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeSeconds();
        var metadata = new ReportMetadata(ReportId(batchKey, index), time);
        var shards = vdaf.Shard(measurement, metadata.ReportId);
        var aad = InputShareAad.Encode(taskId, metadata, shards.PublicShare);
        var report = new DapReport(metadata, shards.PublicShare,
            DapHpke.Seal(leaderConfig, DapHpke.InputShareInfo(DapRole.Leader), aad, new PlaintextInputShare([], shards.InputShares[0]).Encode()),
            DapHpke.Seal(helperConfig, DapHpke.InputShareInfo(DapRole.Helper), aad, new PlaintextInputShare([], shards.InputShares[1]).Encode()));

        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(transport.BaseUrl, $"tasks/{split.TaskId}/reports"))
        {
            Content = new ByteArrayContent(report.Encode()),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(DapMediaTypes.Report);
        HttpResponseMessage response;
        try
        {
            response = await transport.SendAsync(request, cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (RetryPolicy.IsRetryable(e) && !cancel.IsCancellationRequested)
        {
            return new UploadOutcome(UploadResult.Retry, $"no answer from the split-trust Leader ({e.GetType().Name}: {e.Message})", Summary: $"no answer from the split-trust Leader ({e.GetType().Name})");
        }
        using (response)
        {
            try
            {
                await DapHttp.EnsureSuccessAsync(response, $"{def.Name} to the split-trust Leader", cancel).ConfigureAwait(false);
                return new UploadOutcome(UploadResult.Accepted, "accepted", 1);
            }
            catch (DapProtocolException e) when (e.ShortType == "reportRejected")
            {
                // Uploaded before (a retry after a lost answer: counted once already) or its batch was collected: never send it again.
                return new UploadOutcome(UploadResult.Accepted, "accepted before, or too late: " + e.Message, 0);
            }
            catch (DapProtocolException e)
            {
                return RetryPolicy.IsRetryable(response.StatusCode)
                    ? new UploadOutcome(UploadResult.Retry, e.Message, Summary: $"{(int)response.StatusCode} from the split-trust Leader")
                    : new UploadOutcome(UploadResult.Dropped, e.Message, Summary: $"{(int)response.StatusCode} from the split-trust Leader");
            }
        }
    }

    /// <summary>16 bytes of SHA-256 over the batch key and the report's index: fixed for every retry, unguessable without the key, which never leaves the device.</summary>
    private static byte[] ReportId(string batchKey, int index) =>
        SHA256.HashData(Encoding.UTF8.GetBytes($"candor dap report v1\n{batchKey}\n{index}")).AsSpan(0, ReportMetadata.ReportIdSize).ToArray();

    /// <summary>The batch's split-trust reports, and its body without them (null when nothing else is left).</summary>
    private (List<(int Index, MetricDefinition Def, PeriodKey Period, JsonElement Value)> Split, byte[]? Others) Partition(byte[] body)
    {
        var split = new List<(int, MetricDefinition, PeriodKey, JsonElement)>();
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        string? batchPeriod = root.TryGetProperty("period", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        var keep = new List<JsonElement>();
        int index = 0;
        foreach (var report in root.GetProperty("reports").EnumerateArray())
        {
            var def = report.TryGetProperty("metric", out var m) && m.ValueKind == JsonValueKind.String ? registry.FindMetric(m.GetString()!) : null;
            string? period = report.TryGetProperty("period", out var rp) && rp.ValueKind == JsonValueKind.String ? rp.GetString() : batchPeriod;
            if (def?.SplitTrust is not null && period is not null && PeriodKey.TryParse(period, out var key) && report.TryGetProperty("value", out var v))
                split.Add((index, def, key.Value, v.Clone()));
            else
                keep.Add(report);
            index++;
        }
        if (split.Count == 0)
            return (split, body);
        if (keep.Count == 0)
            return (split, null);
        return (split, AllowedReports.WithReports(root, keep));
    }
}
