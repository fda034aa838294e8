using System.Text.Json.Nodes;
using Candor.Collector.Hosting;
using Candor.Dap;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Dap;

/// <summary>The task file an aggregator starts from: it round-trips, and every mistake is named by task and field at start-up.</summary>
public sealed class DapTaskFileTests
{
    private static (DapTask Leader, DapTask Helper) NewTask() =>
        DapTaskProvisioner.Create(new Uri("http://127.0.0.1:1/"), new Uri("https://helper.example/dap"),
            new JsonObject { ["type"] = "histogram", ["length"] = 16, ["chunkLength"] = 4 }, 3600, 100) is var (l, h, _) ? (l, h) : default;

    [Fact]
    public void A_written_task_file_reads_back_the_same_tasks()
    {
        var (leader, helper) = NewTask();
        var read = DapTaskFile.Parse(DapTaskFile.Write([leader]));
        Assert.Equal(DapTaskFile.ToJson(leader).ToJsonString(), DapTaskFile.ToJson(read.Single()).ToJsonString());
        Assert.Equal(new Uri("https://helper.example/dap/"), read.Single().Helper);
        Assert.Null(DapTaskFile.Parse(DapTaskFile.Write([helper])).Single().CollectorAuthToken);
    }

    public static TheoryData<string, Action<JsonObject>> Mistakes => new()
    {
        { "tasks[0]: id must be 32 bytes, not 3", t => t["id"] = "AAAA" },
        { "tasks[0]: role must be leader or helper, not 'collector'", t => t["role"] = "collector" },
        { "tasks[0]: vdaf.type must be count, sum, histogram or sumVec, not 'poplar1'", t => t["vdaf"] = new JsonObject { ["type"] = "poplar1" } },
        { "tasks[0]: vdaf.bits must be between 1 and 64, not 0", t => t["vdaf"] = new JsonObject { ["type"] = "sum", ["bits"] = 0 } },
        { "tasks[0]: verifyKey is not unpadded base64url", t => t["verifyKey"] = "not base64!" },
        { "tasks[0]: timePrecision must be at least 1 second", t => t["timePrecision"] = 0 },
        { "tasks[0]: minBatchSize must be a whole number", t => t["minBatchSize"] = "many" },
        { "tasks[0]: collectorAuthToken is required for the leader", t => t.Remove("collectorAuthToken") },
        { "tasks[0]: aggregatorAuthToken must be at least 16 characters", t => t["aggregatorAuthToken"] = "short" },
        { "tasks[0]: hpkeKeys[0]: publicKey is not the public key of privateKey", t => t["hpkeKeys"]![0]!["publicKey"] = t["collectorHpkeConfig"]!["publicKey"]!.DeepClone() },
        { "tasks[0]: collectorHpkeConfig: KEM 32, KDF 1, AEAD 9 is not a suite Candor implements (KEM 16 or 32, KDF 1-3, AEAD 1-3)", t => t["collectorHpkeConfig"]!["aead"] = 9 },
        { "tasks[0]: helper must be an http or https URL, not 'ftp://x'", t => t["helper"] = "ftp://x" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void A_mistake_in_the_task_file_is_named_by_task_and_field(string message, Action<JsonObject> spoil)
    {
        var task = DapTaskFile.ToJson(NewTask().Leader);
        spoil(task);
        var file = new JsonObject { ["tasks"] = new JsonArray(task) }.ToJsonString();
        Assert.Equal(message, Assert.Throws<FormatException>(() => DapTaskFile.Parse(file)).Message);
    }

    [Fact]
    public void The_same_task_twice_or_no_task_is_refused()
    {
        var leader = NewTask().Leader;
        Assert.Contains("appears twice", Assert.Throws<FormatException>(() => DapTaskFile.Parse(DapTaskFile.Write([leader, leader]))).Message);
        Assert.Contains("at least one task", Assert.Throws<FormatException>(() => DapTaskFile.Parse("""{"tasks": []}""")).Message);
        Assert.StartsWith("not JSON", Assert.Throws<FormatException>(() => DapTaskFile.Parse("{")).Message);
    }

    [Fact]
    public async Task A_collector_started_with_a_bad_task_file_stops_with_the_file_and_field()
    {
        var file = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n") + ".json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var task = DapTaskFile.ToJson(NewTask().Leader);
        task["timePrecision"] = 0;
        await File.WriteAllTextAsync(file, new JsonObject { ["tasks"] = new JsonArray(task) }.ToJsonString());
        var e = await Assert.ThrowsAsync<CollectorConfigurationException>(() => CollectorHost.StartAsync(o => o.DapTasksFile = file));
        Assert.Contains($"DapTasksFile: {file}: tasks[0]: timePrecision must be at least 1 second", e.Message);
    }
}
