using System.Text.Json.Nodes;
using Candor.Collector.Dap;
using Candor.Dap;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Tests.Dap;

/// <summary>
/// What the aggregators keep, and for how long (docs/dap.md, "What is kept"): a report's shares leave the
/// Leader's file once the report is aggregated; its id stays while a replay could still be aggregated, and
/// goes when its batch is collected, after which a replay is refused because its batch is collected, at the
/// Leader and at the Helper alike.
/// </summary>
public sealed class DapRetentionTests
{
    private static readonly JsonNode Count = new JsonObject { ["type"] = "count" };

    [Fact]
    public async Task A_replay_of_an_aggregated_report_in_an_uncollected_batch_is_refused_and_its_id_kept()
    {
        await using var pair = await DapAggregators.StartAsync(Count, minBatchSize: 1);
        using var http = new HttpClient();
        var client = pair.Client(http);
        await client.FetchConfigurationsAsync();
        var report = client.Generate(1, pair.Now);
        await client.UploadAsync(report);
        Assert.Equal(1, await Leader(pair).AggregateAsync(pair.LeaderTask, CancellationToken.None));

        var replay = await Assert.ThrowsAsync<DapProtocolException>(() => client.UploadAsync(report));
        Assert.Equal("reportRejected", replay.ShortType);
        Assert.Contains("uploaded before", replay.Message);
        Assert.Equal(1, await pair.LeaderStore.ReportIdCountAsync(pair.LeaderTask.Id));
        Assert.Equal(1, await pair.HelperStore.ReportIdCountAsync(pair.LeaderTask.Id));

        // The Helper refuses it too when a Leader forwards it again (a Leader that lost its ids, or cheats).
        await ForwardAgainAsync(pair, report);
        await Leader(pair).AggregateAsync(pair.LeaderTask, CancellationToken.None);
        Assert.Equal(1, (await pair.HelperStore.RejectionsAsync(pair.LeaderTask.Id))["report_replayed"]);
        Assert.Equal(1UL, (await pair.HelperStore.ReadBatchAsync(pair.LeaderTask.Id, pair.LeaderTask.Vdaf, pair.Batch)).Reports);
    }

    [Fact]
    public async Task Collecting_a_batch_removes_its_report_ids_and_a_replay_is_refused_as_collected_at_both_aggregators()
    {
        await using var pair = await DapAggregators.StartAsync(Count, minBatchSize: 2);
        using var http = new HttpClient();
        var client = pair.Client(http);
        await client.FetchConfigurationsAsync();
        var collectedReport = client.Generate(1, pair.Now);
        await client.UploadAsync(collectedReport);
        await client.UploadAsync(client.Generate(1, pair.Now));
        var earlier = pair.Now - DapAggregators.TimePrecision; // another batch, not collected
        await client.UploadAsync(client.Generate(1, earlier));
        Assert.Equal("2", (await pair.CollectorClient(http).CollectAsync(pair.Batch, attempts: 3)).Aggregate);

        // Only the uncollected batch's id is left, at both aggregators.
        Assert.Equal(1, await pair.LeaderStore.ReportIdCountAsync(pair.LeaderTask.Id));
        Assert.Equal(1, await pair.HelperStore.ReportIdCountAsync(pair.LeaderTask.Id));

        var replay = await Assert.ThrowsAsync<DapProtocolException>(() => client.UploadAsync(collectedReport));
        Assert.Equal("reportRejected", replay.ShortType);
        Assert.Contains("collected", replay.Message);
        await ForwardAgainAsync(pair, collectedReport);
        await Leader(pair).AggregateAsync(pair.LeaderTask, CancellationToken.None);
        Assert.Equal(1, (await pair.HelperStore.RejectionsAsync(pair.LeaderTask.Id))["batch_collected"]);
        Assert.Equal(1, (await pair.LeaderStore.RejectionsAsync(pair.LeaderTask.Id))["batch_collected"]);
        Assert.Equal(2UL, (await pair.HelperStore.ReadBatchAsync(pair.LeaderTask.Id, pair.LeaderTask.Vdaf, pair.Batch)).Reports);
    }

    [Fact]
    public async Task Positive_control_without_its_id_and_in_an_uncollected_batch_a_replay_is_counted_twice()
    {
        // What the two tests above guard against: drop a report's id from both aggregators while its batch is
        // still open (pruning by age alone would) and the same report is added again.
        await using var pair = await DapAggregators.StartAsync(Count, minBatchSize: 1);
        using var http = new HttpClient();
        var client = pair.Client(http);
        await client.FetchConfigurationsAsync();
        var report = client.Generate(1, pair.Now);
        await client.UploadAsync(report);
        await Leader(pair).AggregateAsync(pair.LeaderTask, CancellationToken.None);
        foreach (var host in new[] { pair.Leader, pair.Helper })
            await ExecAsync(host.DatabasePath, "DELETE FROM dap_report_ids;");

        await client.UploadAsync(report); // accepted again
        await Leader(pair).AggregateAsync(pair.LeaderTask, CancellationToken.None);
        Assert.Equal("2", (await pair.CollectorClient(http).CollectAsync(pair.Batch, attempts: 3)).Aggregate);
    }

    [Fact]
    public async Task Once_aggregated_a_reports_shares_are_gone_from_the_leaders_files()
    {
        await using var pair = await DapAggregators.StartAsync(Count, minBatchSize: 1);
        using var http = new HttpClient();
        var client = pair.Client(http);
        await client.FetchConfigurationsAsync();
        var reports = Enumerable.Range(0, 20).Select(i => client.Generate((ulong)(i % 2), pair.Now)).ToList();
        foreach (var r in reports)
            await client.UploadAsync(r);
        // The Helper's sealed share is stored as the client sent it: a marker an attacker with the files can look for.
        var markers = reports.Select(r => r.HelperShare.Payload).ToList();
        // Positive control: while the reports wait, the files hold every one of them.
        Assert.Equal(markers.Count, CountInFiles(pair.Leader.DatabasePath, markers));

        await Leader(pair).AggregateAsync(pair.LeaderTask, CancellationToken.None);
        Assert.Equal(0, await pair.LeaderStore.PendingCountAsync(pair.LeaderTask.Id));
        Assert.Equal(0, CountInFiles(pair.Leader.DatabasePath, markers));
    }

    private static DapLeader Leader(DapAggregators pair) => pair.Leader.App.Services.GetRequiredService<DapLeader>();

    /// <summary>Puts an uploaded report back among the Leader's waiting reports, past its upload checks.</summary>
    private static async Task ForwardAgainAsync(DapAggregators pair, DapReport report)
    {
        var task = pair.LeaderTask;
        var leaderShare = PlaintextInputShare.Decode(DapHpke.Open(task.HpkeKeys[0], DapHpke.InputShareInfo(DapRole.Leader),
            InputShareAad.Encode(task.Id, report.Metadata, report.PublicShare), report.LeaderShare)).Payload;
        var helperShare = new DapWriter();
        report.HelperShare.Encode(helperShare);
        await using var c = new SqliteConnection($"Data Source={pair.Leader.DatabasePath};Pooling=False");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO dap_reports (task, report, bucket, public_share, leader_share, helper_share) VALUES ($t, $r, $b, $p, $l, $h);";
        cmd.Parameters.AddWithValue("$t", task.Id);
        cmd.Parameters.AddWithValue("$r", report.Metadata.ReportId);
        cmd.Parameters.AddWithValue("$b", (long)report.Metadata.Time);
        cmd.Parameters.AddWithValue("$p", report.PublicShare);
        cmd.Parameters.AddWithValue("$l", leaderShare);
        cmd.Parameters.AddWithValue("$h", helperShare.ToArray());
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task ExecAsync(string database, string sql)
    {
        await using var c = new SqliteConnection($"Data Source={database};Pooling=False");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>How many of the markers appear anywhere in the database file or its write-ahead log.</summary>
    private static int CountInFiles(string database, IReadOnlyList<byte[]> markers)
    {
        var files = new[] { database, database + "-wal" }.Where(File.Exists)
            .Select(f => { using var s = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete); var b = new byte[s.Length]; s.ReadExactly(b); return b; })
            .ToList();
        return markers.Count(m => files.Any(f => f.AsSpan().IndexOf(m.AsSpan(0, 32)) >= 0));
    }
}
