using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Candor.Dap;

namespace Candor.Tests.Dap;

/// <summary>
/// The Helper facing a buggy or hostile Leader: aggregation jobs sent by hand. A retried job gets the same
/// answer and a changed one is refused; duplicate report ids abort the job; each bad report is rejected with
/// its DAP-09 prepare error and counted, while the good ones in the same job go through.
/// </summary>
public sealed class HelperAggregationJobTests
{
    [Fact]
    public async Task A_retried_job_gets_the_same_answer_a_changed_one_is_refused_and_duplicate_ids_abort_it()
    {
        await using var pair = await DapAggregators.StartAsync(new JsonObject { ["type"] = "count" }, minBatchSize: 1);
        using var http = new HttpClient();
        var (client, leader) = await ClientAsync(pair, http);
        var one = Init(pair, client.Generate(1, pair.Now));
        var two = Init(pair, client.Generate(0, pair.Now));
        var job = new byte[16];
        job[0] = 1;

        var first = await PutJobAsync(pair, http, job, new AggregationJobInitReq([], [one]).Encode());
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var answer = await first.Content.ReadAsByteArrayAsync();
        Assert.Equal(PrepareRespState.Continue, AggregationJobResp.Decode(answer).PrepareResps.Single().State);
        var retry = await PutJobAsync(pair, http, job, new AggregationJobInitReq([], [one]).Encode());
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(answer, await retry.Content.ReadAsByteArrayAsync()); // idempotent, and not counted as a replay
        Assert.Equal(one.ReportShare.Metadata.ReportId, AggregationJobResp.Decode(answer).PrepareResps.Single().ReportId);
        Assert.Equal(HttpStatusCode.Conflict, (await PutJobAsync(pair, http, job, new AggregationJobInitReq([], [one, two]).Encode())).StatusCode);

        job[0] = 2;
        var duplicate = await PutJobAsync(pair, http, job, new AggregationJobInitReq([], [two, two]).Encode());
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        Assert.Contains("invalidMessage", await duplicate.Content.ReadAsStringAsync());
        Assert.Empty(await pair.HelperStore.RejectionsAsync(pair.LeaderTask.Id));
    }

    /// <summary>
    /// What the Helper keeps to answer a retried job holds the job's answers in order but none of its report ids: listing
    /// them would tell which reports one job held (uploaded around the same time), the grouping the key-order rewrite
    /// takes out of every other table. A retry still gets the full answer, byte for byte, ids put back from the request.
    /// </summary>
    [Fact]
    public async Task The_kept_answer_to_a_job_lists_none_of_its_report_ids_and_a_retry_still_gets_them()
    {
        await using var pair = await DapAggregators.StartAsync(new JsonObject { ["type"] = "count" }, minBatchSize: 1);
        using var http = new HttpClient();
        var (client, _) = await ClientAsync(pair, http);
        var inits = Enumerable.Range(0, 5).Select(i => Init(pair, client.Generate((ulong)(i % 2), pair.Now))).ToList();
        var replayed = inits[4]; // one rejected report too: its answer is kept the same way
        await PutJobAsync(pair, http, Job(1), new AggregationJobInitReq([], [replayed]).Encode());
        var body = new AggregationJobInitReq([], inits).Encode();

        var first = await PutJobAsync(pair, http, Job(2), body);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var answer = await first.Content.ReadAsByteArrayAsync();
        var ids = inits.Select(p => p.ReportShare.Metadata.ReportId).ToList();
        // The positive control: the answer sent names every report, and the kept copy would be this answer.
        Assert.Equal(ids, AggregationJobResp.Decode(answer).PrepareResps.Select(p => p.ReportId));
        Assert.All(ids, id => Assert.True(answer.AsSpan().IndexOf(id) >= 0));

        var kept = (await pair.HelperStore.FindAggregationJobAsync(pair.LeaderTask.Id, Job(2)))!.Value.Response;
        Assert.All(ids, id => Assert.True(kept.AsSpan().IndexOf(id) < 0, "a report id is in the kept answer"));
        Assert.Equal(answer.Length, kept.Length);
        var keptResps = AggregationJobResp.Decode(kept).PrepareResps;
        Assert.All(keptResps, p => Assert.Equal(new byte[16], p.ReportId));
        Assert.Equal(PrepareRespState.Reject, keptResps[4].State);

        var retry = await PutJobAsync(pair, http, Job(2), body);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(answer, await retry.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Each_bad_report_in_a_job_is_rejected_with_its_prepare_error_and_counted_while_the_good_one_goes_through()
    {
        await using var pair = await DapAggregators.StartAsync(new JsonObject { ["type"] = "count" }, minBatchSize: 1);
        using var http = new HttpClient();
        var (client, _) = await ClientAsync(pair, http);
        var good = Init(pair, client.Generate(1, pair.Now));
        var replayed = Init(pair, client.Generate(1, pair.Now));
        await PutJobAsync(pair, http, Job(1), new AggregationJobInitReq([], [replayed]).Encode());

        var unknownKey = Init(pair, client.Generate(1, pair.Now));
        unknownKey = unknownKey with { ReportShare = unknownKey.ReportShare with { EncryptedInputShare = unknownKey.ReportShare.EncryptedInputShare with { ConfigId = 99 } } };
        // The Leader forwards other metadata than the client sealed the share under: it does not open.
        var moved = Init(pair, client.Generate(1, pair.Now));
        moved = moved with { ReportShare = moved.ReportShare with { Metadata = moved.ReportShare.Metadata with { Time = pair.Now - DapAggregators.TimePrecision } } };
        var notInitialize = Init(pair, client.Generate(1, pair.Now));
        notInitialize = notInitialize with { Payload = PingPongMessage.Finish([]).Encode() };
        var future = Init(pair, client.Generate(1, pair.Now + 24 * DapAggregators.TimePrecision));

        var response = await PutJobAsync(pair, http, Job(2), new AggregationJobInitReq([], [good, replayed, unknownKey, moved, notInitialize, future]).Encode());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var answers = AggregationJobResp.Decode(await response.Content.ReadAsByteArrayAsync()).PrepareResps;
        Assert.Equal(PrepareRespState.Continue, answers[0].State);
        Assert.Equal([PrepareError.ReportReplayed, PrepareError.HpkeUnknownConfigId, PrepareError.HpkeDecryptError, PrepareError.InvalidMessage, PrepareError.ReportTooEarly],
            answers.Skip(1).Select(a => a.Error!.Value));
        var counts = await pair.HelperStore.RejectionsAsync(pair.LeaderTask.Id);
        Assert.Equal(1, counts["report_replayed"]);
        Assert.Equal(1, counts["hpke_unknown_config_id"]);
        Assert.Equal(1, counts["hpke_decrypt_error"]);
        Assert.Equal(1, counts["invalid_message"]);
        Assert.Equal(1, counts["report_too_early"]);
    }

    private static byte[] Job(byte n)
    {
        var job = new byte[16];
        job[15] = n;
        return job;
    }

    private static async Task<(DapUploadClient Client, DapHpkeKeyPair LeaderKey)> ClientAsync(DapAggregators pair, HttpClient http)
    {
        var client = pair.Client(http);
        await client.FetchConfigurationsAsync();
        return (client, pair.LeaderTask.HpkeKeys[0]);
    }

    /// <summary>What an honest Leader would send for this report: the Helper's share and the Leader's prepare share.</summary>
    private static PrepareInit Init(DapAggregators pair, DapReport report)
    {
        var task = pair.LeaderTask;
        var leaderShare = PlaintextInputShare.Decode(DapHpke.Open(task.HpkeKeys[0], DapHpke.InputShareInfo(DapRole.Leader),
            InputShareAad.Encode(task.Id, report.Metadata, report.PublicShare), report.LeaderShare)).Payload;
        var (_, prepareShare) = task.Vdaf.PrepareInit(task.VerifyKey, DapRole.Leader, report.Metadata.ReportId, report.PublicShare, leaderShare);
        return new PrepareInit(new ReportShare(report.Metadata, report.PublicShare, report.HelperShare), PingPongMessage.Initialize(prepareShare).Encode());
    }

    private static async Task<HttpResponseMessage> PutJobAsync(DapAggregators pair, HttpClient http, byte[] job, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(DapMediaTypes.AggregationJobInitReq);
        var task = pair.LeaderTask;
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(task.Helper, $"tasks/{task.IdText}/aggregation_jobs/{DapTask.Base64Url(job)}")) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", task.AggregatorAuthToken);
        return await http.SendAsync(request);
    }
}
