using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Candor.Dap;
using Candor.Tests.Infrastructure;
using Candor.Vdaf;

namespace Candor.Tests.Dap;

/// <summary>
/// DAP-09 between two real Candor aggregators (Leader and Helper, each its own collector and SQLite file,
/// Kestrel on loopback), a C# client and the C# Collector: the collected aggregate is the exact sum, report
/// shares are deleted once aggregated, a batch below the minimum size is not released, a replayed report id
/// is refused, and cheating clients are rejected by preparation, counted, and leave the aggregate alone.
/// </summary>
public sealed class DapEndToEndTests
{
    private static readonly JsonNode Histogram = new JsonObject { ["type"] = "histogram", ["length"] = 4, ["chunkLength"] = 2 };

    [Fact]
    public async Task Count_reports_collect_to_the_exact_count_and_their_shares_are_deleted()
    {
        ulong[] measurements = [1, 0, 1, 1, 0, 1, 1];
        Assert.Equal("5", await UploadAndCollectAsync(new JsonObject { ["type"] = "count" }, measurements, postgres: false));
    }

    [Fact]
    public async Task Sum_reports_collect_to_the_exact_sum()
    {
        ulong[] measurements = [0, 255, 17, 100, 3];
        Assert.Equal("375", await UploadAndCollectAsync(new JsonObject { ["type"] = "sum", ["bits"] = 8 }, measurements, postgres: false));
    }

    [Fact]
    public async Task Histogram_reports_collect_to_the_exact_counts()
    {
        ulong[] measurements = [0, 3, 3, 1, 3, 2];
        Assert.Equal("1,1,1,3", await UploadAndCollectAsync(Histogram, measurements, postgres: false));
    }

    [PostgresFact]
    public async Task Histogram_reports_collect_to_the_exact_counts_on_postgresql()
    {
        ulong[] measurements = [0, 3, 3, 1, 3, 2];
        Assert.Equal("1,1,1,3", await UploadAndCollectAsync(Histogram, measurements, postgres: true));
    }

    private static async Task<string> UploadAndCollectAsync(JsonNode vdaf, ulong[] measurements, bool postgres)
    {
        await using var pair = await DapAggregators.StartAsync(vdaf, minBatchSize: (ulong)measurements.Length, postgres);
        using var http = new HttpClient();
        var client = pair.Client(http);
        await client.FetchConfigurationsAsync();
        foreach (var m in measurements)
            await client.UploadAsync(client.Generate(m, pair.Now));
        Assert.Equal(measurements.Length, await pair.LeaderStore.PendingCountAsync(pair.LeaderTask.Id));

        var result = await pair.CollectorClient(http).CollectAsync(pair.Batch, attempts: 3);
        Assert.Equal((ulong)measurements.Length, result.ReportCount);
        Assert.Equal(pair.Batch, result.Interval);
        // Once aggregated, no report share is left at the Leader; the Helper never stored one.
        Assert.Equal(0, await pair.LeaderStore.PendingCountAsync(pair.LeaderTask.Id));
        Assert.Empty(await pair.LeaderStore.RejectionsAsync(pair.LeaderTask.Id));
        Assert.Empty(await pair.HelperStore.RejectionsAsync(pair.LeaderTask.Id));
        return result.Aggregate;
    }

    [Fact]
    public async Task A_batch_below_the_minimum_size_is_not_released_until_it_is_reached()
    {
        await using var pair = await DapAggregators.StartAsync(new JsonObject { ["type"] = "count" }, minBatchSize: 3);
        using var http = new HttpClient();
        var client = pair.Client(http);
        await client.FetchConfigurationsAsync();
        var collector = pair.CollectorClient(http);
        await client.UploadAsync(client.Generate(1, pair.Now));
        await client.UploadAsync(client.Generate(1, pair.Now));
        var job = await collector.StartAsync(pair.Batch);
        Assert.Null(await collector.PollAsync(job, pair.Batch)); // 202: two reports, the floor is three
        Assert.Null(await collector.PollAsync(job, pair.Batch));
        await client.UploadAsync(client.Generate(0, pair.Now));
        var result = await collector.PollAsync(job, pair.Batch);
        Assert.NotNull(result);
        Assert.Equal("2", result.Aggregate);
        Assert.Equal(3UL, result.ReportCount);
    }

    [Fact]
    public async Task A_replayed_report_id_is_refused_and_counted_once()
    {
        await using var pair = await DapAggregators.StartAsync(new JsonObject { ["type"] = "count" }, minBatchSize: 1);
        using var http = new HttpClient();
        var client = pair.Client(http);
        await client.FetchConfigurationsAsync();
        var report = client.Generate(1, pair.Now);
        await client.UploadAsync(report);
        var replay = await Assert.ThrowsAsync<DapProtocolException>(() => client.UploadAsync(report));
        Assert.Equal("reportRejected", replay.ShortType);
        // After aggregation has deleted the report and collection its id, a replay is refused as collected (DapRetentionTests).
        var result = await pair.CollectorClient(http).CollectAsync(pair.Batch, attempts: 3);
        Assert.Equal("1", result.Aggregate);
        var again = await Assert.ThrowsAsync<DapProtocolException>(() => client.UploadAsync(report));
        Assert.Equal("reportRejected", again.ShortType);
    }

    [Fact]
    public async Task Cheating_clients_are_rejected_by_preparation_counted_and_do_not_move_the_aggregate()
    {
        await using var pair = await DapAggregators.StartAsync(Histogram, minBatchSize: 3);
        using var http = new HttpClient();
        var client = pair.Client(http);
        await client.FetchConfigurationsAsync();
        var prio3 = ((DapVdaf<Field128, int, UInt128[]>)pair.LeaderTask.Vdaf).Prio3;

        foreach (var bucket in new ulong[] { 1, 2, 2 })
            await client.UploadAsync(client.Generate(bucket, pair.Now));
        // 1. Two ones: a single report voting twice, with an honestly computed proof of the invalid encoding.
        var twoOnes = new Field128[4];
        twoOnes[0] = twoOnes[3] = Field128.One;
        await client.UploadAsync(client.Seal(pair.Now, id => prio3.ShardEncoded(twoOnes, id, RandomNumberGenerator.GetBytes(prio3.RandSize))));
        // 2. A value that is not 0 or 1 in one bucket (a "vote" of 5).
        var five = new Field128[4];
        five[1] = Field128.FromInteger(5);
        await client.UploadAsync(client.Seal(pair.Now, id => prio3.ShardEncoded(five, id, RandomNumberGenerator.GetBytes(prio3.RandSize))));
        // 3. An honest report whose proof share the client then changed (one proof element plus one).
        await client.UploadAsync(client.Seal(pair.Now, id =>
        {
            var shards = prio3.Shard(0, id);
            var leader = (byte[])shards.InputShares[0].Clone();
            var element = leader.AsSpan((4 + 1) * Field128.EncodedSize, Field128.EncodedSize);
            Assert.True(Field128.TryRead(element, out var value));
            (value + Field128.One).Write(element);
            return shards with { InputShares = [leader, shards.InputShares[1]] };
        }));
        // 4. An honest report with a forged joint-randomness part (the Helper's, as the Leader reads it) in the public share.
        await client.UploadAsync(client.Seal(pair.Now, id =>
        {
            var shards = prio3.Shard(3, id);
            var publicShare = (byte[])shards.PublicShare.Clone();
            publicShare[20] ^= 0x80;
            return shards with { PublicShare = publicShare };
        }));

        var result = await pair.CollectorClient(http).CollectAsync(pair.Batch, attempts: 3);
        Assert.Equal("0,1,2,0", result.Aggregate); // the honest three only
        Assert.Equal(3UL, result.ReportCount);
        Assert.Equal(4, (await pair.HelperStore.RejectionsAsync(pair.LeaderTask.Id))["vdaf_prep_error"]);
        Assert.Equal(4, (await pair.LeaderStore.RejectionsAsync(pair.LeaderTask.Id))["vdaf_prep_error"]);
        Assert.Equal(0, await pair.LeaderStore.PendingCountAsync(pair.LeaderTask.Id));
    }

    [Fact]
    public async Task A_sum_out_of_range_is_rejected_and_does_not_move_the_aggregate()
    {
        await using var pair = await DapAggregators.StartAsync(new JsonObject { ["type"] = "sum", ["bits"] = 8 }, minBatchSize: 2);
        using var http = new HttpClient();
        var client = pair.Client(http);
        await client.FetchConfigurationsAsync();
        var prio3 = ((DapVdaf<Field128, UInt128, UInt128>)pair.LeaderTask.Vdaf).Prio3;
        await client.UploadAsync(client.Generate(10, pair.Now));
        await client.UploadAsync(client.Generate(20, pair.Now));
        // "Bits" of 2 and 200 decode to 2*128 + 200*64 = 13056, far outside [0, 256).
        var encoded = new Field128[8];
        encoded[7] = Field128.FromInteger(2);
        encoded[6] = Field128.FromInteger(200);
        await client.UploadAsync(client.Seal(pair.Now, id => prio3.ShardEncoded(encoded, id, RandomNumberGenerator.GetBytes(prio3.RandSize))));

        var result = await pair.CollectorClient(http).CollectAsync(pair.Batch, attempts: 3);
        Assert.Equal("30", result.Aggregate);
        Assert.Equal(1, (await pair.HelperStore.RejectionsAsync(pair.LeaderTask.Id))["vdaf_prep_error"]);
    }

    [Fact]
    public async Task A_report_for_a_collected_batch_is_refused_and_the_batch_cannot_be_collected_twice()
    {
        await using var pair = await DapAggregators.StartAsync(new JsonObject { ["type"] = "count" }, minBatchSize: 1);
        using var http = new HttpClient();
        var client = pair.Client(http);
        await client.FetchConfigurationsAsync();
        await client.UploadAsync(client.Generate(1, pair.Now));
        var collector = pair.CollectorClient(http);
        Assert.Equal("1", (await collector.CollectAsync(pair.Batch, attempts: 3)).Aggregate);

        var late = await Assert.ThrowsAsync<DapProtocolException>(() => client.UploadAsync(client.Generate(1, pair.Now)));
        Assert.Equal("reportRejected", late.ShortType);
        var again = await Assert.ThrowsAsync<DapProtocolException>(() => collector.CollectAsync(pair.Batch, attempts: 3));
        Assert.Equal("batchQueriedTooManyTimes", again.ShortType);
        var overlapping = await Assert.ThrowsAsync<DapProtocolException>(() =>
            collector.CollectAsync(new DapInterval(pair.Now - DapAggregators.TimePrecision, 2 * DapAggregators.TimePrecision), attempts: 3));
        Assert.Equal("batchOverlap", overlapping.ShortType);
    }

    [Fact]
    public async Task Requests_without_the_right_token_task_media_type_or_interval_get_dap_problems()
    {
        await using var pair = await DapAggregators.StartAsync(new JsonObject { ["type"] = "count" }, minBatchSize: 1);
        using var http = new HttpClient();
        var task = pair.LeaderTask;

        // The Helper's aggregation endpoint with no token, then with the Collector's token.
        await AssertProblemAsync(await Send(http, HttpMethod.Put, new Uri(task.Helper, $"tasks/{task.IdText}/aggregation_jobs/{DapTask.Base64Url(new byte[16])}"),
            DapMediaTypes.AggregationJobInitReq, [0], token: null), 403, "unauthorizedRequest");
        await AssertProblemAsync(await Send(http, HttpMethod.Post, new Uri(task.Helper, $"tasks/{task.IdText}/aggregate_shares"),
            DapMediaTypes.AggregateShareReq, [0], token: pair.Collector.AuthToken), 403, "unauthorizedRequest");
        // The Helper's token does not open the Leader's collection jobs.
        await AssertProblemAsync(await Send(http, HttpMethod.Put, new Uri(task.Leader, $"tasks/{task.IdText}/collection_jobs/{DapTask.Base64Url(new byte[16])}"),
            DapMediaTypes.CollectReq, new CollectionReq(pair.Batch, []).Encode(), token: task.AggregatorAuthToken), 403, "unauthorizedRequest");
        // An unknown task, and a task asked of the aggregator that is not its Leader.
        var unknown = DapTask.Base64Url(RandomNumberGenerator.GetBytes(32));
        await AssertProblemAsync(await Send(http, HttpMethod.Put, new Uri(task.Leader, $"tasks/{unknown}/reports"), DapMediaTypes.Report, [0], null), 404, "unrecognizedTask");
        await AssertProblemAsync(await Send(http, HttpMethod.Put, new Uri(task.Helper, $"tasks/{task.IdText}/reports"), DapMediaTypes.Report, [0], null), 404, "unrecognizedTask");
        await AssertProblemAsync(await http.GetAsync(new Uri(task.Leader, "hpke_config")), 400, "missingTaskID");
        // Wrong media type; a malformed report.
        await AssertProblemAsync(await Send(http, HttpMethod.Put, new Uri(task.Leader, $"tasks/{task.IdText}/reports"), "application/json", [0], null), 415, "invalidMessage");
        await AssertProblemAsync(await Send(http, HttpMethod.Put, new Uri(task.Leader, $"tasks/{task.IdText}/reports"), DapMediaTypes.Report, [1, 2, 3], null), 400, "invalidMessage");
        // A report sealed to an HPKE configuration the Leader does not have.
        var client = pair.Client(http);
        await client.FetchConfigurationsAsync();
        var report = client.Generate(1, pair.Now);
        var stale = report with { LeaderShare = report.LeaderShare with { ConfigId = 200 } };
        await AssertProblemAsync(await Send(http, HttpMethod.Put, new Uri(task.Leader, $"tasks/{task.IdText}/reports"), DapMediaTypes.Report, stale.Encode(), null), 400, "outdatedConfig");
        // A report whose time is not rounded to the task's precision.
        var unrounded = report with { Metadata = report.Metadata with { Time = pair.Now + 1 } };
        await AssertProblemAsync(await Send(http, HttpMethod.Put, new Uri(task.Leader, $"tasks/{task.IdText}/reports"), DapMediaTypes.Report, unrounded.Encode(), null), 400, "reportRejected");
        // A report from beyond the clock skew allowance.
        var early = client.Generate(1, pair.Now + 10 * DapAggregators.TimePrecision);
        Assert.Equal("reportTooEarly", (await Assert.ThrowsAsync<DapProtocolException>(() => client.UploadAsync(early))).ShortType);
        // A batch interval that is not whole time-precision steps.
        var collector = pair.CollectorClient(http);
        Assert.Equal("batchInvalid", (await Assert.ThrowsAsync<DapProtocolException>(() => collector.StartAsync(new DapInterval(pair.Now + 1, DapAggregators.TimePrecision)))).ShortType);
    }

    private static async Task<HttpResponseMessage> Send(HttpClient http, HttpMethod method, Uri uri, string mediaType, byte[] body, string? token)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, int status, string type)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(DapHttp.ErrorPrefix + type, problem["type"]!.GetValue<string>());
    }
}
