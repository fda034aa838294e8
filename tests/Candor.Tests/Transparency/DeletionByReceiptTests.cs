using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Candor.Collector.Storage;
using Candor.Tests.Infrastructure;
using Candor.Transparency;

namespace Candor.Tests.Transparency;

/// <summary>
/// Deletion by receipt over HTTP: the stored counts change exactly once, a second deletion or a receipt
/// that matches nothing changes nothing and says so, a purged period answers expired, the deletion itself
/// is proved in the log, and every malformed request is refused whole. Each engine runs them.
/// </summary>
public abstract class DeletionByReceiptTests
{
    private static readonly (string, string, string)[] Reports =
        [("system.os", "\"linux\"", "linux"), ("startup.ms", """{"250":1,"100":3}""", """{"100":3,"250":1}""")];

    protected abstract Task<CollectorHost> StartAsync();

    private static object Receipt(LogKit.Sent s, string? nonce = null, string? value = null) => new
    {
        nonce = nonce ?? ReportCommitment.Encode(s.Nonce),
        metric = s.Metric,
        period = s.Period,
        value = value ?? s.Value,
    };

    private static async Task<List<string>> DeleteAsync(CollectorHost host, params object[] receipts)
    {
        var response = await host.Client.PostAsJsonAsync("/v1/log/deletions", new { app = TestRegistries.App, receipts });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()!).ToList();
    }

    private static async Task<string> CountsAsync(CollectorHost host) =>
        string.Join("\n", (await host.Store.ReadRawAsync(TestRegistries.App)).Select(r => $"raw {r.Metric} {r.Value} {r.Reports}")
            .Concat((await host.Store.ReadRollupsAsync(TestRegistries.App)).Select(r => $"rollup {r.Metric} {r.Value} {r.Reports} {r.Total}")));

    /// <summary>Two devices sent the same reports; the first one's receipts are what the tests delete.</summary>
    private static async Task<List<LogKit.Sent>> SendTwoDevicesAsync(CollectorHost host)
    {
        var (mine, sent) = LogKit.Batch(TestRegistries.App, Reports);
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(mine)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(LogKit.Batch(TestRegistries.App, Reports).Body)).StatusCode);
        return sent;
    }

    [StoreFact]
    public async Task Deletion_by_receipt_takes_each_report_off_the_stored_counts_exactly_once()
    {
        await using var host = await StartAsync();
        var sent = await SendTwoDevicesAsync(host);
        await LogKit.SealAsync(host);
        Assert.Equal("""
            raw startup.ms {"100":3,"250":1} 2
            raw system.os linux 2
            rollup startup.ms 100 2 6
            rollup startup.ms 250 2 2
            rollup system.os linux 2 2
            """.ReplaceLineEndings("\n"), await CountsAsync(host));

        Assert.Equal(["deleted", "deleted"], await DeleteAsync(host, Receipt(sent[0]), Receipt(sent[1])));
        var once = """
            raw startup.ms {"100":3,"250":1} 1
            raw system.os linux 1
            rollup startup.ms 100 1 3
            rollup startup.ms 250 1 1
            rollup system.os linux 1 1
            """.ReplaceLineEndings("\n");
        Assert.Equal(once, await CountsAsync(host));

        // Twice: a precise answer, and nothing changes.
        Assert.Equal(["already-deleted", "already-deleted"], await DeleteAsync(host, Receipt(sent[0]), Receipt(sent[1])));
        Assert.Equal(once, await CountsAsync(host));

        // The deletions are in the log after the next epoch, each proved included; the reports stay proved too.
        await LogKit.SealAsync(host);
        var checkpoint = await LogKit.CheckpointAsync(host.Client, await LogKit.KeyAsync(host.Client));
        Assert.Equal(6UL, checkpoint.Size);
        foreach (var s in sent)
        {
            await LogKit.ProveIncludedAsync(host.Client, checkpoint, s.Commitment, LogEntryKind.Deletion);
            await LogKit.ProveIncludedAsync(host.Client, checkpoint, s.Commitment, LogEntryKind.Report);
        }
    }

    [StoreFact]
    public async Task The_last_report_of_a_value_deleted_leaves_no_row_behind()
    {
        await using var host = await StartAsync();
        var (body, sent) = LogKit.Batch(TestRegistries.App, Reports);
        await host.PostAsync(body);
        Assert.Equal(["deleted", "deleted"], await DeleteAsync(host, Receipt(sent[0]), Receipt(sent[1])));
        Assert.Equal("", await CountsAsync(host));
        // Deleted while still pending: both entries reach the log in the next epoch.
        await LogKit.SealAsync(host);
        var checkpoint = await LogKit.CheckpointAsync(host.Client, await LogKit.KeyAsync(host.Client));
        await LogKit.ProveIncludedAsync(host.Client, checkpoint, sent[0].Commitment, LogEntryKind.Deletion);
    }

    [StoreFact]
    public async Task A_receipt_that_matches_nothing_is_not_found_and_changes_nothing()
    {
        await using var host = await StartAsync();
        var sent = await SendTwoDevicesAsync(host);
        var before = await CountsAsync(host);
        var wrongNonce = ReportCommitment.Encode(ReportCommitment.NewNonce());
        Assert.Equal(["not-found", "not-found", "not-found"], await DeleteAsync(host,
            Receipt(sent[0], nonce: wrongNonce),
            Receipt(sent[0], value: "windows"),               // the right nonce for another report
            Receipt(sent[1], value: """{"100":3,"250":2}""")));
        Assert.Equal(before, await CountsAsync(host));
        await Problem.AssertAsync(await host.Client.GetAsync($"/v1/log/inclusion?commitment={sent[0].Commitment}&kind=deletion"),
            HttpStatusCode.NotFound, "not-in-log");
    }

    [StoreFact]
    public async Task Receipts_of_a_purged_period_are_expired_and_change_nothing()
    {
        await using var host = await StartAsync();
        var sent = await SendTwoDevicesAsync(host);
        await LogKit.SealAsync(host);
        // Retention: 2026-W47 ends on 2026-11-30 (exclusive end 11-30), so a purge before December removes it.
        var purge = await host.Store.PurgeRawAsync(TestRegistries.App, new DateOnly(2026, 12, 1), new DateOnly(2027, 3, 1));
        Assert.Equal(2, purge.RawRows);
        var before = await CountsAsync(host);
        Assert.Equal(["expired", "expired", "not-found"], await DeleteAsync(host, Receipt(sent[0]), Receipt(sent[1]),
            Receipt(sent[0], nonce: ReportCommitment.Encode(ReportCommitment.NewNonce()))));
        Assert.Equal(before, await CountsAsync(host));
        // The report's leaf stays in the log: it is only a hash.
        var checkpoint = await LogKit.CheckpointAsync(host.Client, await LogKit.KeyAsync(host.Client));
        await LogKit.ProveIncludedAsync(host.Client, checkpoint, sent[0].Commitment);
    }

    [StoreFact]
    public async Task Statuses_come_back_in_request_order_for_a_mixed_request()
    {
        await using var host = await StartAsync();
        var sent = await SendTwoDevicesAsync(host);
        Assert.Equal(["deleted"], await DeleteAsync(host, Receipt(sent[1])));
        var response = await host.Client.PostAsJsonAsync("/v1/log/deletions", new
        {
            app = TestRegistries.App,
            receipts = new[] { Receipt(sent[1]), Receipt(sent[0], nonce: ReportCommitment.Encode(new byte[32])), Receipt(sent[0]), Receipt(sent[0]) },
        });
        var results = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["already-deleted", "not-found", "deleted", "already-deleted"], results.Select(r => r.GetProperty("status").GetString()));
        Assert.Equal(sent[1].Commitment, results[0].GetProperty("commitment").GetString());
        Assert.Equal(sent[0].Commitment, results[2].GetProperty("commitment").GetString());
    }

    [StoreFact]
    public async Task Every_malformed_deletion_request_is_refused_whole_and_changes_nothing()
    {
        await using var host = await StartAsync();
        var sent = await SendTwoDevicesAsync(host);
        var before = await CountsAsync(host);
        var good = JsonSerializer.Serialize(Receipt(sent[0]));
        var cases = new Dictionary<string, string>
        {
            ["not json"] = "{",
            ["unknown field"] = $$"""{"app":"{{TestRegistries.App}}","receipts":[{{good}}],"user":"x"}""",
            ["no app"] = $$"""{"receipts":[{{good}}]}""",
            ["no receipts"] = $$"""{"app":"{{TestRegistries.App}}"}""",
            ["empty receipts"] = $$"""{"app":"{{TestRegistries.App}}","receipts":[]}""",
            ["too many receipts"] = $$"""{"app":"{{TestRegistries.App}}","receipts":[{{string.Join(",", Enumerable.Repeat(good, 1001))}}]}""",
            ["bad nonce after a good receipt"] = $$"""{"app":"{{TestRegistries.App}}","receipts":[{{good}},{"nonce":"AAAA","metric":"system.os","period":"2026-W47","value":"linux"}]}""",
            ["bad period"] = $$"""{"app":"{{TestRegistries.App}}","receipts":[{"nonce":"{{ReportCommitment.Encode(sent[0].Nonce)}}","metric":"system.os","period":"last week","value":"linux"}]}""",
            ["missing value"] = $$"""{"app":"{{TestRegistries.App}}","receipts":[{"nonce":"{{ReportCommitment.Encode(sent[0].Nonce)}}","metric":"system.os","period":"2026-W47"}]}""",
            ["null receipt"] = $$"""{"app":"{{TestRegistries.App}}","receipts":[null]}""",
        };
        foreach (var (why, body) in cases)
        {
            var response = await host.Client.PostAsync("/v1/log/deletions", new StringContent(body, Encoding.UTF8, "application/json"));
            var problem = await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "malformed-deletion-request");
            Assert.Contains("Nothing was changed", problem.GetProperty("detail").GetString());
            Assert.True(before == await CountsAsync(host), why);
        }
        await Problem.AssertAsync(await host.Client.PostAsync("/v1/log/deletions",
            new StringContent($$"""{"app":"org.example.nope","receipts":[{{good}}]}""", Encoding.UTF8, "application/json")), HttpStatusCode.NotFound, "unknown-app");
        await Problem.AssertAsync(await host.Client.PostAsync("/v1/log/deletions", new StringContent(good, Encoding.UTF8, "text/plain")),
            HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        Assert.Equal(before, await CountsAsync(host));
        // And the good receipt still works afterwards: nothing above touched it.
        Assert.Equal(["deleted"], await DeleteAsync(host, Receipt(sent[0])));
    }
}

public sealed class SqliteDeletionByReceiptTests : DeletionByReceiptTests
{
    protected override Task<CollectorHost> StartAsync() => CollectorHost.StartAsync();

    [Fact]
    public async Task With_the_log_off_deletions_answer_404()
    {
        await using var host = await CollectorHost.StartAsync(o => o.Transparency.Enabled = false);
        await Problem.AssertAsync(await host.Client.PostAsync("/v1/log/deletions", new StringContent("{}", Encoding.UTF8, "application/json")),
            HttpStatusCode.NotFound, "log-disabled");
    }
}

[RequiresPostgres]
public sealed class PostgresDeletionByReceiptTests : DeletionByReceiptTests, IAsyncLifetime
{
    private readonly List<TestDatabase> _databases = [];

    protected override async Task<CollectorHost> StartAsync()
    {
        var database = await TestDatabase.CreateAsync();
        _databases.Add(database);
        return await CollectorHost.StartAsync(o => o.Database = database.ConnectionString);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var d in _databases)
            await d.DisposeAsync();
    }
}
