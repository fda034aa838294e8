using System.Text.Json.Nodes;
using Candor.Client;
using Candor.Collector;
using Candor.Dap;
using Candor.Registry;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.Dap;

/// <summary>
/// The Candor client's side of split trust (<c>DapReportSender</c>), against a real Leader and Helper:
/// retries count once, a flag says false too, a switched-off category sends nothing, and a registry naming
/// another Leader than the collector sends nothing there.
/// </summary>
public sealed class SplitTrustClientTests
{
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private static string Registry(DapTask leader, DapTask helper, string? leaderUrl = null) => $$"""
        app: org.example.split
        version: 1
        categories:
          system: { description: Hardware and system settings }
          usage: { description: How features are used }
        metrics:
          feature.export:
            type: flag
            category: usage
            period: week
            description: The export feature was used.
            purpose: Decide whether to keep it.
            expires: never
            split_trust:
              task_id: {{leader.IdText}}
              leader: {{leaderUrl ?? leader.Leader.ToString()}}
              helper: {{leader.Helper}}
              leader_hpke_config: {{DapTask.Base64Url(leader.HpkeKeys[0].Config.Encode())}}
              helper_hpke_config: {{DapTask.Base64Url(helper.HpkeKeys[0].Config.Encode())}}
              vdaf: { type: count }
          system.arch:
            type: enum
            category: system
            period: week
            values: [amd64, arm64]
            description: The processor architecture.
            purpose: Decide which builds to make.
            expires: never

        """;

    private static async Task<(DapAggregators Pair, MetricRegistry Registry)> StartAsync(string? leaderUrl = null)
    {
        // The registry names the task, and the Leader serves the registry: it is written once the task exists.
        var file = Path.Combine(Directory.CreateTempSubdirectory("candor-split-client-").FullName, "registry.yaml");
        var pair = await DapAggregators.StartAsync(new JsonObject { ["type"] = "count" }, minBatchSize: 1,
            leaderOptions: o => o.RegistryFiles = [.. o.RegistryFiles, file], registryFile: (file, (l, h) => Registry(l, h, leaderUrl)));
        return (pair, RegistryParser.ParseFile(file));
    }

    private static int StoredAtLeader(DapAggregators pair)
    {
        using var c = new SqliteConnection($"Data Source={pair.Leader.DatabasePath};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM dap_report_ids;";
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_lost_answer_is_retried_under_the_same_report_id_and_the_leader_counts_it_once()
    {
        var (pair, registry) = await StartAsync();
        await using var _ = pair;
        using var kit = new ClientTestKit();
        var tap = new WireTap { LoseAnswer = true };
        using var client = kit.Create(pair.Leader.BaseAddress, tap, registry);
        client.GrantConsent();
        client.Flag("feature.export").Set();
        client.Enum("system.arch").Set("arm64");
        kit.Clock.Set(NextMonday);
        pair.Leader.Clock.Set(NextMonday);

        var lost = await client.UploadAsync();
        Assert.Equal(0, lost.Sent);
        Assert.Equal(1, StoredAtLeader(pair)); // it arrived; the answer did not
        tap.LoseAnswer = false;
        kit.Clock.Set(NextMonday.AddDays(3));
        var retried = await client.UploadAsync();
        Assert.True(retried.Sent >= 1, retried.Status);
        Assert.Equal(0, retried.Pending);
        Assert.Equal(1, StoredAtLeader(pair));
        // The retry put the same report (by id) to the Leader: two PUTs, one report id.
        Assert.Equal(2, tap.Uris.Count(u => u.AbsolutePath.EndsWith("/reports", StringComparison.Ordinal) && u.AbsolutePath.StartsWith("/tasks/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_split_trust_flag_that_was_not_set_is_sent_as_false_so_its_absence_says_nothing()
    {
        var (pair, registry) = await StartAsync();
        await using var _ = pair;
        using var kit = new ClientTestKit();
        using var client = kit.Create(pair.Leader.BaseAddress, new WireTap(), registry);
        client.GrantConsent();
        client.Enum("system.arch").Set("amd64"); // the app ran; the flag was never set
        kit.Clock.Set(NextMonday);
        pair.Leader.Clock.Set(NextMonday);
        await client.UploadAsync();
        Assert.Contains(client.Sent(), s => s.Body.Contains("\"metric\":\"feature.export\"", StringComparison.Ordinal) && s.Body.Contains("\"value\":false", StringComparison.Ordinal));
        Assert.Equal(1, StoredAtLeader(pair));
    }

    [Fact]
    public async Task A_switched_off_category_sends_no_split_trust_report()
    {
        var (pair, registry) = await StartAsync();
        await using var _ = pair;
        using var kit = new ClientTestKit();
        var tap = new WireTap();
        using var client = kit.Create(pair.Leader.BaseAddress, tap, registry);
        client.GrantConsent();
        client.Flag("feature.export").Set();
        client.Enum("system.arch").Set("amd64");
        client.DisableCategory("usage");
        kit.Clock.Set(NextMonday);
        pair.Leader.Clock.Set(NextMonday);
        await client.UploadAsync();
        Assert.Equal(0, StoredAtLeader(pair));
        Assert.DoesNotContain(tap.Uris, u => u.AbsolutePath.StartsWith("/tasks/", StringComparison.Ordinal));
        // Positive control: the plain metric of the enabled category did go.
        Assert.Contains(client.Sent(), s => s.Body.Contains("system.arch", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_registry_naming_another_leader_than_the_collector_sends_the_report_nowhere()
    {
        var (pair, registry) = await StartAsync(leaderUrl: "https://other-leader.example/");
        await using var _ = pair;
        using var kit = new ClientTestKit();
        var tap = new WireTap();
        using var client = kit.Create(pair.Leader.BaseAddress, tap, registry);
        client.GrantConsent();
        client.Flag("feature.export").Set();
        kit.Clock.Set(NextMonday);
        pair.Leader.Clock.Set(NextMonday);
        await client.UploadAsync();
        Assert.DoesNotContain(tap.Uris, u => u.AbsolutePath.StartsWith("/tasks/", StringComparison.Ordinal) || u.Host == "other-leader.example");
        Assert.Equal(0, StoredAtLeader(pair));
        Assert.Contains(client.Log(), e => e.Message.Contains("is not this client's collector", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_collector_file_that_does_not_fit_the_registry_or_the_period_stops_start_up_naming_the_file()
    {
        var directory = Directory.CreateTempSubdirectory("candor-split-start-").FullName;
        var (leader, helper, collector) = DapTaskProvisioner.Create(new Uri("http://127.0.0.1:1/"), new Uri("http://127.0.0.1:2/"),
            new JsonObject { ["type"] = "histogram", ["length"] = 2, ["chunkLength"] = 1 }, 3600, 10);
        var registry = Path.Combine(directory, "registry.yaml");
        await File.WriteAllTextAsync(registry, Registry(leader, helper)); // the registry says count, the task a histogram
        var file = Path.Combine(directory, "collector.json");
        await File.WriteAllTextAsync(file, collector.ToJson().ToJsonString());
        var e = await Assert.ThrowsAsync<Candor.Collector.Hosting.CollectorConfigurationException>(() =>
            CollectorHost.StartAsync(o => { o.RegistryFiles = [registry]; o.DapCollectorFiles = [file]; }, directory: Path.Combine(directory, "a")));
        Assert.Contains($"DapCollectorFiles: {file}: the task's VDAF", e.Message);
        Assert.Contains("is not the registry's for feature.export", e.Message);

        var weekly = DapTaskProvisioner.Create(new Uri("http://127.0.0.1:1/"), new Uri("http://127.0.0.1:2/"), new JsonObject { ["type"] = "count" }, 604800, 10).Collector;
        await File.WriteAllTextAsync(file, weekly.ToJson().ToJsonString());
        e = await Assert.ThrowsAsync<Candor.Collector.Hosting.CollectorConfigurationException>(() =>
            CollectorHost.StartAsync(o => { o.RegistryFiles = [registry]; o.DapCollectorFiles = [file]; }, directory: Path.Combine(directory, "b")));
        Assert.Contains("the task's timePrecision (604800 s) must divide a day", e.Message);
    }
}
