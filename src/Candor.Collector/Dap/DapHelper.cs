using System.Security.Cryptography;
using Candor.Dap;
using Microsoft.AspNetCore.Http;
using Candor.Vdaf;

namespace Candor.Collector.Dap;

/// <summary>
/// The Helper's two duties (DAP-09, sections 4.6.1.3 and 4.7.2): prepare its shares of an aggregation job's
/// reports against the Leader's prepare shares, adding those that verify into its own aggregate; and answer
/// the Leader's aggregate-share request for a batch with its aggregate sealed to the Collector, once the two
/// aggregators agree on the batch's report count and checksum.
/// </summary>
internal sealed class DapHelper(DapStore store, TimeProvider time)
{
    public async Task<IResult> InitializeJobAsync(DapTask task, byte[] job, byte[] body, CancellationToken ct)
    {
        if (DapProblem.TryDecode(task, body, AggregationJobInitReq.Decode, m => m.AggregationParameter, out var request) is { } invalid)
            return invalid;
        if (request.PrepareInits.Select(p => Convert.ToHexString(p.ReportShare.Metadata.ReportId)).Distinct().Count() != request.PrepareInits.Count)
            return DapProblem.InvalidMessage("two reports in the job have the same report id", task.Id);

        var hash = SHA256.HashData(body);
        if (await store.FindAggregationJobAsync(task.Id, job, ct) is { } seen)
            return Replay(task, seen.RequestHash, hash, seen.Response, request);

        var now = (ulong)time.GetUtcNow().ToUnixTimeSeconds();
        var outcomes = new DapStore.Prepared[request.PrepareInits.Count];
        var payloads = new byte[]?[request.PrepareInits.Count];
        // Decrypting and preparing is pure computation, one report independent of the next: spread over the cores.
        Parallel.For(0, request.PrepareInits.Count, i => (outcomes[i], payloads[i]) = Prepare(task, request.PrepareInits[i], now));
        AggregationJobResp? answer = null;
        var stored = await store.FinishHelperJobAsync(task.Id, job, hash, task.Vdaf, outcomes, final =>
        {
            answer = new AggregationJobResp(final.Select((error, i) => error is { } e
                ? PrepareResp.Reject(outcomes[i].Report, e)
                : PrepareResp.Continue(outcomes[i].Report, payloads[i]!)).ToList());
            return answer.WithoutReportIds().Encode(); // kept for retries without the job's report ids
        }, now, ct);
        if (stored is null && await store.FindAggregationJobAsync(task.Id, job, ct) is { } raced)
            return Replay(task, raced.RequestHash, hash, raced.Response, request);
        return new DapMessageResult(201, DapMediaTypes.AggregationJobResp, answer!.Encode());
    }

    /// <summary>A retry of a job already answered: the same request (by hash) gets the same answer, its report ids put back from the request.</summary>
    private static IResult Replay(DapTask task, byte[] storedHash, byte[] hash, byte[] stored, AggregationJobInitReq request) =>
        storedHash.AsSpan().SequenceEqual(hash)
            ? new DapMessageResult(201, DapMediaTypes.AggregationJobResp, AggregationJobResp.Decode(stored).WithReportIdsOf(request).Encode())
            : new DapProblem(409, "invalidMessage", "this aggregation job exists with a different request; a job's parameters cannot change", task.Id);

    /// <summary>One report: decrypt, validate, prepare against the Leader's share. The checks in DAP-09's order.</summary>
    private static (DapStore.Prepared Outcome, byte[]? Payload) Prepare(DapTask task, PrepareInit init, ulong now)
    {
        var share = init.ReportShare;
        var id = share.Metadata.ReportId;
        var bucket = task.RoundDown(share.Metadata.Time);
        DapStore.Prepared Reject(PrepareError e) => new(id, bucket, null, e);

        var key = task.HpkeKeys.FirstOrDefault(k => k.Config.Id == share.EncryptedInputShare.ConfigId);
        if (key is null)
            return (Reject(PrepareError.HpkeUnknownConfigId), null);
        PlaintextInputShare plaintext;
        try
        {
            var opened = DapHpke.Open(key, DapHpke.InputShareInfo(DapRole.Helper),
                InputShareAad.Encode(task.Id, share.Metadata, share.PublicShare), share.EncryptedInputShare);
            plaintext = PlaintextInputShare.Decode(opened);
        }
        catch (CryptographicException)
        {
            return (Reject(PrepareError.HpkeDecryptError), null);
        }
        catch (DapDecodeException)
        {
            return (Reject(PrepareError.InvalidMessage), null);
        }
        if (share.Metadata.Time > now + DapTask.ClockSkewSeconds)
            return (Reject(PrepareError.ReportTooEarly), null);
        if (task.Expiration is { } expiration && share.Metadata.Time > expiration)
            return (Reject(PrepareError.TaskExpired), null);
        // No extension type is registered in DAP-09: any extension is one this aggregator does not recognise.
        if (plaintext.Extensions.Count != 0)
            return (Reject(PrepareError.InvalidMessage), null);
        PingPongMessage inbound;
        try
        {
            inbound = PingPongMessage.Decode(init.Payload);
        }
        catch (DapDecodeException)
        {
            return (Reject(PrepareError.InvalidMessage), null);
        }
        if (inbound.Type != PingPongType.Initialize)
            return (Reject(PrepareError.InvalidMessage), null);
        object state;
        byte[] helperShare;
        try
        {
            (state, helperShare) = task.Vdaf.PrepareInit(task.VerifyKey, DapRole.Helper, id, share.PublicShare, plaintext.Payload);
        }
        catch (VdafException)
        {
            return (Reject(PrepareError.InvalidMessage), null);
        }
        try
        {
            // The proof is checked here, on the two aggregators' verifier shares together: a cheating client's
            // report (two ones in a histogram, a sum out of range, a tampered proof) fails and is never added.
            var message = task.Vdaf.PrepareSharesToPrepare(inbound.PrepareShare!, helperShare);
            var output = task.Vdaf.PrepareNext(state, message);
            return (new DapStore.Prepared(id, bucket, output, null), PingPongMessage.Finish(message).Encode());
        }
        catch (VdafException)
        {
            return (Reject(PrepareError.VdafPrepError), null);
        }
    }

    public async Task<IResult> AggregateShareAsync(DapTask task, byte[] body, CancellationToken ct)
    {
        if (DapProblem.TryDecode(task, body, AggregateShareReq.Decode, m => m.AggregationParameter, out var request) is { } invalid)
            return invalid;
        if (DapBatches.BoundaryProblem(task, request.BatchInterval) is { } boundary)
            return boundary;
        var hash = SHA256.HashData(body);
        if (await store.FindCollectedAsync(task.Id, request.BatchInterval, ct) is { } collected)
        {
            // Idempotent for the same request (DAP-09 asks it); any other query of a collected batch is refused:
            // answering it would let the Leader and Collector difference two aggregates of nearly the same reports.
            if (collected.Interval == request.BatchInterval && collected.RequestHash is { } h && h.AsSpan().SequenceEqual(hash))
                return new DapMessageResult(200, DapMediaTypes.AggregateShare, collected.Response!);
            return collected.Interval == request.BatchInterval
                ? new DapProblem(400, "batchQueriedTooManyTimes", "this batch has been collected already", task.Id)
                : new DapProblem(400, "batchOverlap", $"the interval overlaps the collected batch starting at {collected.Interval.Start}", task.Id);
        }
        var batch = await store.ReadBatchAsync(task.Id, task.Vdaf, request.BatchInterval, ct);
        if (batch.Reports < task.MinBatchSize)
            return new DapProblem(400, "invalidBatchSize", $"the batch holds {batch.Reports} reports, fewer than the task's minimum of {task.MinBatchSize}", task.Id);
        if (batch.Reports != request.ReportCount || !batch.Checksum.AsSpan().SequenceEqual(request.Checksum))
            return new DapProblem(400, "batchMismatch",
                $"the Helper aggregated {batch.Reports} reports in this batch, the Leader {request.ReportCount}, or their checksums differ", task.Id);
        var sealedShare = DapHpke.Seal(task.CollectorHpkeConfig, DapHpke.AggregateShareInfo(DapRole.Helper),
            AggregateShareAad.Encode(task.Id, request.AggregationParameter, request.BatchInterval), batch.Aggregate);
        var response = new AggregateShare(sealedShare).Encode();
        if (!await store.MarkCollectedAsync(task.Id, request.BatchInterval, hash, response, ct))
            return new DapProblem(400, "batchOverlap", "a concurrent request collected an overlapping batch", task.Id);
        return new DapMessageResult(200, DapMediaTypes.AggregateShare, response);
    }
}

/// <summary>Batch validation for time-interval queries (DAP-09, section 4.7.6.1).</summary>
internal static class DapBatches
{
    public static DapProblem? BoundaryProblem(DapTask task, DapInterval interval) =>
        interval.Duration < task.TimePrecision || interval.Start % task.TimePrecision != 0 || interval.Duration % task.TimePrecision != 0
            ? new DapProblem(400, "batchInvalid",
                $"a batch interval starts and lasts whole multiples of the task's time precision ({task.TimePrecision} s); [{interval.Start}, +{interval.Duration}) does not", task.Id)
            : null;
}
