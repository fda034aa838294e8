using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Dap;

/// <summary>
/// Interoperability with an independent DAP-09 client from the npm registry: Divvi Up's @divviup/dap 0.9.1
/// (with @divviup/prio3 0.8.0) fetches both Candor aggregators' HPKE configurations, shards, seals and
/// uploads Count, Sum and Histogram reports to the Candor Leader; the two Candor aggregators prepare them
/// together, and the Candor Collector's aggregate is the exact sum of the measurements the JS client sent.
/// </summary>
public sealed class DapNodeInteropTests
{
    [NodeFact]
    public async Task Count_reports_from_divvi_ups_client_collect_to_the_exact_count()
    {
        var measurements = Enumerable.Range(0, 9).Select(i => i % 3 != 0).ToArray();
        var result = await UploadWithDivviUpAndCollectAsync(new JsonObject { ["type"] = "count" },
            new JsonArray(measurements.Select(m => (JsonNode)JsonValue.Create(m)).ToArray()), measurements.Length);
        Assert.Equal(measurements.Count(m => m).ToString(), result);
    }

    [NodeFact]
    public async Task Sum_reports_from_divvi_ups_client_collect_to_the_exact_sum()
    {
        var measurements = Enumerable.Range(0, 9).Select(i => i * 37 % 256).ToArray();
        var result = await UploadWithDivviUpAndCollectAsync(new JsonObject { ["type"] = "sum", ["bits"] = 8 },
            new JsonArray(measurements.Select(m => (JsonNode)JsonValue.Create(m)).ToArray()), measurements.Length);
        Assert.Equal(measurements.Sum().ToString(), result);
    }

    [NodeFact]
    public async Task Histogram_reports_from_divvi_ups_client_collect_to_the_exact_counts()
    {
        var measurements = Enumerable.Range(0, 12).Select(i => i * 5 % 16 / 2).ToArray();
        var result = await UploadWithDivviUpAndCollectAsync(new JsonObject { ["type"] = "histogram", ["length"] = 16, ["chunkLength"] = 4 },
            new JsonArray(measurements.Select(m => (JsonNode)JsonValue.Create(m)).ToArray()), measurements.Length);
        Assert.Equal(string.Join(",", Enumerable.Range(0, 16).Select(b => measurements.Count(m => m == b))), result);
    }

    private static async Task<string> UploadWithDivviUpAndCollectAsync(JsonObject vdaf, JsonArray measurements, int count)
    {
        var folder = Folder();
        await NodePackages.InstallAsync(folder);
        await using var pair = await DapAggregators.StartAsync(vdaf, minBatchSize: (ulong)count);
        var task = (JsonObject)vdaf.DeepClone();
        task["id"] = pair.LeaderTask.IdText;
        task["leader"] = pair.LeaderTask.Leader.ToString();
        task["helper"] = pair.LeaderTask.Helper.ToString();
        task["timePrecisionSeconds"] = DapAggregators.TimePrecision;
        var output = await NodeAsync(folder, new JsonObject { ["task"] = task, ["measurements"] = measurements, ["timestamp"] = pair.Now });
        Assert.Equal(count, JsonNode.Parse(output)!["sent"]!.GetValue<int>());
        Assert.Equal(count, await pair.LeaderStore.PendingCountAsync(pair.LeaderTask.Id));

        using var http = new HttpClient();
        var result = await pair.CollectorClient(http).CollectAsync(pair.Batch, attempts: 3);
        Assert.Equal((ulong)count, result.ReportCount);
        Assert.Empty(await pair.HelperStore.RejectionsAsync(pair.LeaderTask.Id));
        return result.Aggregate;
    }

    private static string Folder([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "Interop");

    private static async Task<string> NodeAsync(string folder, JsonObject request)
    {
        var start = new ProcessStartInfo("node", [Path.Combine(folder, "dap-upload.mjs")])
        {
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(request.ToJsonString());
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"@divviup/dap failed: {await error}");
        return await output;
    }
}
