using System.Text.Json.Nodes;
using Candor.Collector.Dap;
using Candor.Dap;
using Candor.Tests.Infrastructure;
using Candor.Tests.Operations;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Tests.Dap;

/// <summary><c>candor dap task</c> and <c>candor dap collect</c> as an operator runs them: the real process, its files, exit code and output.</summary>
public sealed class DapCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-dap-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_task_made_by_the_cli_runs_on_two_collectors_and_the_cli_collects_its_exact_sum()
    {
        var leaderPort = LoopbackClient.FreePort();
        var helperPort = LoopbackClient.FreePort();
        var (exit, stdout, stderr) = await CandorProcess.RunAsync(_dir, "dap", "task", "--leader", $"http://127.0.0.1:{leaderPort}", "--helper", $"http://127.0.0.1:{helperPort}",
            "--vdaf", """{"type":"sum","bits":8}""", "--time-precision", "3600", "--min-batch-size", "3", "--out", _dir);
        Assert.True(exit == 0, stderr);
        Assert.StartsWith("task ", stdout);
        foreach (var file in new[] { "leader-tasks.json", "helper-tasks.json", "collector.json" })
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, file)));

        await using var leader = await CollectorHost.StartAsync(o => { o.Urls = [$"http://127.0.0.1:{leaderPort}"]; o.DapTasksFile = Path.Combine(_dir, "leader-tasks.json"); },
            directory: Path.Combine(_dir, "leader"));
        await using var helper = await CollectorHost.StartAsync(o => { o.Urls = [$"http://127.0.0.1:{helperPort}"]; o.DapTasksFile = Path.Combine(_dir, "helper-tasks.json"); },
            directory: Path.Combine(_dir, "helper"));
        var task = leader.App.Services.GetRequiredService<DapTasks>().All.Single();
        using var http = new HttpClient();
        var client = new DapUploadClient(http, task.Id, task.Leader, task.Helper, task.Vdaf, task.TimePrecision);
        await client.FetchConfigurationsAsync();
        // The CLI's own clock is the real one: date the reports now, the hosts' clock to match.
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        leader.Clock.Set(DateTimeOffset.UtcNow);
        helper.Clock.Set(DateTimeOffset.UtcNow);
        foreach (var m in new ulong[] { 7, 100, 200 })
            await client.UploadAsync(client.Generate(m, now));

        var start = now - now % 3600;
        var (collected, output, error) = await CandorProcess.RunAsync(_dir, "dap", "collect", "--collector", Path.Combine(_dir, "collector.json"),
            "--start", start.ToString(), "--duration", "3600", "--attempts", "3");
        Assert.True(collected == 0, error);
        var result = JsonNode.Parse(output)!;
        Assert.Equal("307", result["aggregate"]!.GetValue<string>());
        Assert.Equal(3, result["reports"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_task_command_writes_the_registry_block_of_a_split_trust_metric_which_the_registry_accepts()
    {
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "dap", "task", "--leader", "https://collector.example.org", "--helper", "https://helper.example.net",
            "--vdaf", """{"type":"histogram","length":4,"chunkLength":2}""", "--time-precision", "3600", "--min-batch-size", "100", "--out", _dir);
        Assert.True(exit == 0, stderr);
        var block = await File.ReadAllTextAsync(Path.Combine(_dir, "registry-split-trust.yaml"));
        var yaml = Candor.Tests.Registry.RegistryTestYaml.WithMetrics(Candor.Tests.Registry.RegistryTestYaml.SystemOs.TrimEnd() + "\n" + block);
        var split = Candor.Registry.RegistryParser.Parse(yaml, "editor.yaml").FindMetric("system.os")!.SplitTrust!;
        var leader = DapTaskFile.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "leader-tasks.json"))).Single();
        var helper = DapTaskFile.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "helper-tasks.json"))).Single();
        Assert.Equal(leader.IdText, split.TaskId);
        Assert.Equal(DapTask.Base64Url(leader.HpkeKeys[0].Config.Encode()), split.LeaderHpkeConfig);
        Assert.Equal(DapTask.Base64Url(helper.HpkeKeys[0].Config.Encode()), split.HelperHpkeConfig);
        Assert.DoesNotContain("privateKey", block);
    }

    [Fact]
    public async Task Bad_arguments_and_a_failed_collection_are_one_line_errors()
    {
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "dap", "task", "--leader", "http://a/", "--helper", "http://b/",
            "--vdaf", """{"type":"poplar1"}""", "--min-batch-size", "3", "--out", _dir);
        Assert.Equal(1, exit);
        Assert.Equal("candor dap task: vdaf.type must be count, sum, histogram or sumVec, not 'poplar1'", stderr.Trim());

        Assert.Equal(0, (await CandorProcess.RunAsync(_dir, "dap", "task", "--leader", $"http://127.0.0.1:{LoopbackClient.FreePort()}", "--helper", "http://b/",
            "--vdaf", """{"type":"count"}""", "--min-batch-size", "3", "--out", _dir)).Exit);
        // Nothing listens at the Leader's address.
        var (collected, _, error) = await CandorProcess.RunAsync(_dir, "dap", "collect", "--collector", Path.Combine(_dir, "collector.json"),
            "--start", "0", "--duration", "3600", "--attempts", "1");
        Assert.Equal(1, collected);
        Assert.StartsWith("candor dap collect: ", error);
        Assert.Single(error.Trim().Split('\n'));
    }
}
