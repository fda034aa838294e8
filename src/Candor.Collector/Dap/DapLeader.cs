using System.Net.Http.Headers;
using System.Security.Cryptography;
using Candor.Dap;
using Microsoft.AspNetCore.Http;
using Candor.Vdaf;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.Dap;

/// <summary>
/// The Leader's duties (DAP-09, sections 4.5 to 4.7): take reports from clients, run aggregation jobs with
/// the Helper (Prio3 prepares in one round trip), and run collection jobs: once a batch holds at least the
/// task's minimum number of reports, get the Helper's sealed aggregate share and seal its own beside it.
/// The Leader never holds the Helper's input shares in the clear, nor the Collector's key.
/// </summary>
internal sealed class DapLeader(DapStore store, TimeProvider time, ILogger<DapLeader> logger) : IDisposable
{
    /// <summary>Reports per aggregation job: bounded so a job's request stays well under the Helper's body limit.</summary>
    public const int JobSize = 200;

    /// <summary>
    /// Aggregation jobs in flight at once: while the Helper prepares one job, the Leader prepares or stores
    /// another, so both processes (and both cores of a small machine) work at the same time.
    /// </summary>
    public const int ConcurrentJobs = 2;

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private readonly SemaphoreSlim _aggregating = new(1, 1);

    public async Task<IResult> UploadAsync(DapTask task, byte[] body, CancellationToken ct)
    {
        if (DapProblem.TryDecode(task, body, DapReport.Decode, null, out var report) is { } invalid)
            return invalid;
        var key = task.HpkeKeys.FirstOrDefault(k => k.Config.Id == report.LeaderShare.ConfigId);
        if (key is null)
            return new DapProblem(400, "outdatedConfig", $"HPKE configuration {report.LeaderShare.ConfigId} is not (or no longer) this Leader's; fetch /hpke_config again", task.Id);
        // Only rounded times are taken: the Leader stores and forwards the time as the client sealed it (it is in
        // the input shares' AAD), and a finer time would be a timing side channel kept at rest.
        if (report.Metadata.Time % task.TimePrecision != 0)
            return new DapProblem(400, "reportRejected", $"the report's time must be rounded down to the task's time precision ({task.TimePrecision} s)", task.Id);
        var now = (ulong)time.GetUtcNow().ToUnixTimeSeconds();
        if (report.Metadata.Time > now + DapTask.ClockSkewSeconds)
            return new DapProblem(400, "reportTooEarly", "the report's time is ahead of this Leader's clock", task.Id);
        if (task.Expiration is { } expiration && report.Metadata.Time > expiration)
            return new DapProblem(400, "reportRejected", "the task has expired", task.Id);
        PlaintextInputShare plaintext;
        try
        {
            plaintext = PlaintextInputShare.Decode(DapHpke.Open(key, DapHpke.InputShareInfo(DapRole.Leader),
                InputShareAad.Encode(task.Id, report.Metadata, report.PublicShare), report.LeaderShare));
        }
        catch (CryptographicException)
        {
            return new DapProblem(400, "reportRejected", "the Leader's input share does not decrypt under this task and metadata", task.Id);
        }
        catch (DapDecodeException e)
        {
            return DapProblem.InvalidMessage("the Leader's plaintext input share: " + e.Message, task.Id);
        }
        if (plaintext.Extensions.Count != 0)
            return DapProblem.InvalidMessage("the report carries an extension this Leader does not recognise", task.Id);

        var helperShare = new DapWriter();
        report.HelperShare.Encode(helperShare);
        // Stored with the time rounded down to the task's precision and nothing of the request: not the
        // address, not the arrival time, not the order (the table is keyed by the random report id).
        var outcome = await store.StoreReportAsync(task.Id, report.Metadata.ReportId, task.RoundDown(report.Metadata.Time),
            report.PublicShare, plaintext.Payload, helperShare.ToArray(), ct);
        return outcome switch
        {
            DapStore.UploadOutcome.Replayed => new DapProblem(400, "reportRejected", "a report with this id was uploaded before", task.Id),
            DapStore.UploadOutcome.BatchCollected => new DapProblem(400, "reportRejected", "the batch this report falls in has been collected", task.Id),
            _ => Results.StatusCode(201),
        };
    }

    /// <summary>Runs aggregation jobs until no report is waiting. Returns the number of reports prepared.</summary>
    public async Task<int> AggregateAsync(DapTask task, CancellationToken ct)
    {
        await _aggregating.WaitAsync(ct);
        try
        {
            var total = 0;
            // Disjoint slices of the waiting reports, so no report is in two jobs; the next round starts when
            // they are all stored, so a report is never read again while its job is in flight.
            while (await store.PendingReportsAsync(task.Id, JobSize * ConcurrentJobs, ct) is { Count: > 0 } pending)
            {
                await Task.WhenAll(pending.Chunk(JobSize).Select(job => RunJobAsync(task, job, ct)));
                total += pending.Count;
            }
            if (total > 0)
                await store.TruncateLogAsync(ct);
            return total;
        }
        finally
        {
            _aggregating.Release();
        }
    }

    private async Task RunJobAsync(DapTask task, DapStore.PendingReport[] pending, CancellationToken ct)
    {
        // Preparation is pure computation, one report independent of the next: spread over the cores.
        var prepared = new (DapStore.Prepared? Rejected, object? State, PrepareInit? Init)[pending.Length];
        Parallel.For(0, pending.Length, i =>
        {
            var p = pending[i];
            try
            {
                var (state, share) = task.Vdaf.PrepareInit(task.VerifyKey, DapRole.Leader, p.Report, p.PublicShare, p.LeaderShare);
                var reader = new DapReader(p.HelperShare);
                var helperShare = HpkeCiphertext.Decode(ref reader);
                prepared[i] = (null, state, new PrepareInit(new ReportShare(new ReportMetadata(p.Report, p.Bucket), p.PublicShare, helperShare),
                    PingPongMessage.Initialize(share).Encode()));
            }
            catch (VdafException)
            {
                // The Leader's own share does not decode: the Helper never sees this report.
                prepared[i] = (new DapStore.Prepared(p.Report, p.Bucket, null, PrepareError.InvalidMessage), null, null);
            }
        });
        var outcomes = prepared.Where(p => p.Rejected is not null).Select(p => p.Rejected!).ToList();
        var sent = pending.Select((p, i) => (Report: p, prepared[i].State)).Where(x => x.State is not null).ToList();
        var inits = prepared.Where(p => p.Init is not null).Select(p => p.Init!).ToList();
        if (inits.Count > 0)
        {
            var job = RandomNumberGenerator.GetBytes(16);
            using var content = new ByteArrayContent(new AggregationJobInitReq([], inits).Encode());
            content.Headers.ContentType = new MediaTypeHeaderValue(DapMediaTypes.AggregationJobInitReq);
            using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(task.Helper, $"tasks/{task.IdText}/aggregation_jobs/{DapTask.Base64Url(job)}")) { Content = content };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", task.AggregatorAuthToken);
            using var response = await _http.SendAsync(request, ct);
            await DapHttp.EnsureSuccessAsync(response, "the Helper's answer to an aggregation job", ct);
            var answer = AggregationJobResp.Decode(await response.Content.ReadAsByteArrayAsync(ct));
            if (answer.PrepareResps.Count != sent.Count ||
                answer.PrepareResps.Where((r, i) => !r.ReportId.AsSpan().SequenceEqual(sent[i].Report.Report)).Any())
                throw new DapProtocolException(null, "the Helper answered an aggregation job with other reports or in another order");
            for (var i = 0; i < sent.Count; i++)
                outcomes.Add(Finish(task, sent[i].Report, sent[i].State!, answer.PrepareResps[i]));
        }
        await store.FinishLeaderJobAsync(task.Id, task.Vdaf, outcomes, ct);
        var rejected = outcomes.Count(o => o.Rejected is not null);
        if (rejected > 0)
            logger.LogInformation("DAP task {Task}: aggregation job prepared {Reports} reports, rejected {Rejected}", task.IdText, outcomes.Count, rejected);
    }

    private static DapStore.Prepared Finish(DapTask task, DapStore.PendingReport report, object state, PrepareResp answer)
    {
        DapStore.Prepared Reject(PrepareError e) => new(report.Report, report.Bucket, null, e);
        if (answer.State == PrepareRespState.Reject)
            return Reject(answer.Error!.Value);
        if (answer.State != PrepareRespState.Continue)
            return Reject(PrepareError.InvalidMessage);
        try
        {
            var message = PingPongMessage.Decode(answer.Payload!);
            if (message.Type != PingPongType.Finish)
                return Reject(PrepareError.InvalidMessage);
            return new DapStore.Prepared(report.Report, report.Bucket, task.Vdaf.PrepareNext(state, message.PrepareMessage!), null);
        }
        catch (DapDecodeException)
        {
            return Reject(PrepareError.InvalidMessage);
        }
        catch (VdafException)
        {
            // The Helper finished this report but the Leader's joint-randomness check failed (a client that lied
            // about the Helper's part): the two aggregates now differ by one report, and the collection's
            // checksum comparison turns that into batchMismatch rather than a wrong result (docs/dap.md).
            return Reject(PrepareError.VdafPrepError);
        }
    }

    public async Task<IResult> StartCollectionAsync(DapTask task, byte[] job, byte[] body, CancellationToken ct)
    {
        if (DapProblem.TryDecode(task, body, CollectionReq.Decode, m => m.AggregationParameter, out var request) is { } invalid)
            return invalid;
        if (DapBatches.BoundaryProblem(task, request.BatchInterval) is { } boundary)
            return boundary;
        return await store.CreateCollectionJobAsync(task.Id, job, request.BatchInterval, SHA256.HashData(body), ct) switch
        {
            DapStore.JobCreation.Conflict => new DapProblem(409, "invalidMessage", "this collection job exists with a different query; a job's parameters cannot change", task.Id),
            _ => Results.StatusCode(201),
        };
    }

    /// <summary>202 while the batch is short of the minimum size, the Collection once both shares are sealed, or the job's error.</summary>
    public async Task<IResult> PollCollectionAsync(DapTask task, byte[] job, CancellationToken ct)
    {
        var found = await store.FindCollectionJobAsync(task.Id, job, ct);
        if (found is null)
            return new DapProblem(404, "unrecognizedCollectionJob", "no such collection job", task.Id);
        if (found.Result is { } done)
            return new DapMessageResult(200, DapMediaTypes.Collection, done);
        if (found.Error is { } error)
            return new DapProblem(400, error, "the collection job failed", task.Id);

        // DAP-09 asks the Leader to finish pending aggregation jobs before it asks for the Helper's share.
        try
        {
            await AggregateAsync(task, ct);
        }
        catch (Exception e) when (e is HttpRequestException or DapProtocolException or DapDecodeException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            // The Helper is unreachable or misbehaving: the job stays pending and the Collector polls again.
            logger.LogWarning("DAP task {Task}: aggregation before collection failed: {Reason}", task.IdText, e.Message);
            return new WaitResult();
        }
        var interval = found.Interval;
        if (await store.FindCollectedAsync(task.Id, interval, ct) is { } collected)
            return await FailAsync(task, job, collected.Interval == interval ? "batchQueriedTooManyTimes" : "batchOverlap",
                "the batch, or one overlapping it, has been collected already", ct);
        var batch = await store.ReadBatchAsync(task.Id, task.Vdaf, interval, ct);
        if (batch.Reports < task.MinBatchSize)
            return new WaitResult();

        using var content = new ByteArrayContent(new AggregateShareReq(interval, [], batch.Reports, batch.Checksum).Encode());
        content.Headers.ContentType = new MediaTypeHeaderValue(DapMediaTypes.AggregateShareReq);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(task.Helper, $"tasks/{task.IdText}/aggregate_shares")) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", task.AggregatorAuthToken);
        using var response = await _http.SendAsync(request, ct);
        HpkeCiphertext helperShare;
        try
        {
            await DapHttp.EnsureSuccessAsync(response, "the Helper's aggregate share", ct);
            helperShare = AggregateShare.Decode(await response.Content.ReadAsByteArrayAsync(ct)).EncryptedAggregateShare;
        }
        catch (DapProtocolException e) when (e.ShortType is { } type && e.Status is >= 400 and < 500)
        {
            return await FailAsync(task, job, type, e.Message, ct);
        }
        var leaderShare = DapHpke.Seal(task.CollectorHpkeConfig, DapHpke.AggregateShareInfo(DapRole.Leader),
            AggregateShareAad.Encode(task.Id, [], interval), batch.Aggregate);
        // The smallest interval of whole time-precision steps holding every aggregated report (DAP-09, 4.7.1).
        var spanned = batch.FirstBucket is { } first ? new DapInterval(first, batch.LastBucket!.Value + task.TimePrecision - first) : new DapInterval(interval.Start, 0);
        var collection = new DapCollection(batch.Reports, spanned, leaderShare, helperShare).Encode();
        await store.MarkCollectedAsync(task.Id, interval, null, null, ct);
        await store.FinishCollectionJobAsync(task.Id, job, collection, null, ct);
        logger.LogInformation("DAP task {Task}: collected a batch of {Reports} reports", task.IdText, batch.Reports);
        return new DapMessageResult(200, DapMediaTypes.Collection, collection);
    }

    private async Task<IResult> FailAsync(DapTask task, byte[] job, string type, string detail, CancellationToken ct)
    {
        await store.FinishCollectionJobAsync(task.Id, job, null, type, ct);
        return new DapProblem(400, type, detail, task.Id);
    }

    public void Dispose() => _http.Dispose();

    private sealed class WaitResult : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = 202;
            http.Response.Headers.RetryAfter = "1";
            return Task.CompletedTask;
        }
    }
}
