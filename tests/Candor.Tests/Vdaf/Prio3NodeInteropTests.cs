using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Candor.Tests.Infrastructure;
using Candor.Vdaf;

namespace Candor.Tests.Vdaf;

/// <summary>
/// Interoperability with an independent Prio3 implementation from the npm registry, Divvi Up's
/// @divviup/prio3 0.8.0 (VDAF-08, the one Divvi Up's DAP client uses). Its client's reports are
/// prepared and aggregated by Candor's two aggregators and unshard to the exact sum; Candor's reports
/// are prepared by its aggregators; and both sides produce the same prepare shares, prepare messages
/// and aggregate shares byte for byte, so either could stand in for the other as an aggregator.
/// </summary>
public sealed class Prio3NodeInteropTests
{
    private const int Reports = 12;

    [NodeFact]
    public async Task Count_reports_from_the_js_client_aggregate_in_candor_and_candor_reports_verify_in_js()
    {
        var measurements = Enumerable.Range(0, Reports).Select(i => i % 3 != 1).ToArray();
        var result = await Exchange(Prio3.Count(), new JsonObject { ["type"] = "count" }, measurements,
            m => JsonValue.Create(m), r => r.ToString());
        Assert.Equal(measurements.Count(m => m).ToString(), result);
    }

    [NodeFact]
    public async Task Sum_reports_from_the_js_client_aggregate_in_candor_and_candor_reports_verify_in_js()
    {
        var measurements = Enumerable.Range(0, Reports).Select(i => (UInt128)(ulong)(i * 37 % 256)).ToArray();
        var result = await Exchange(Prio3.Sum(8), new JsonObject { ["type"] = "sum", ["bits"] = 8 }, measurements,
            m => JsonValue.Create((ulong)m), r => r.ToString());
        Assert.Equal(measurements.Aggregate(UInt128.Zero, (a, b) => a + b).ToString(), result);
    }

    [NodeFact]
    public async Task Histogram_reports_from_the_js_client_aggregate_in_candor_and_candor_reports_verify_in_js()
    {
        var measurements = Enumerable.Range(0, Reports).Select(i => i * 5 % 16 / 2).ToArray();
        var result = await Exchange(Prio3.Histogram(16, 4), new JsonObject { ["type"] = "histogram", ["length"] = 16, ["chunkLength"] = 4 },
            measurements, m => JsonValue.Create(m), r => string.Join(",", r));
        Assert.Equal(string.Join(",", Enumerable.Range(0, 16).Select(b => measurements.Count(m => m == b))), result);
    }

    /// <summary>Returns Candor's result on the JS client's reports; asserts everything else on the way.</summary>
    private static async Task<string> Exchange<T, TMeasurement, TResult>(
        Prio3<T, TMeasurement, TResult> vdaf, JsonObject spec, TMeasurement[] measurements, Func<TMeasurement, JsonNode?> toJson, Func<TResult, string> format)
        where T : unmanaged, IFftField<T>
    {
        var folder = Folder();
        await NodePackages.InstallAsync(folder);

        // 1. The JS client shards; Candor's aggregators prepare, aggregate and unshard.
        var sharded = await Node(new JsonObject
        {
            ["mode"] = "shard",
            ["vdaf"] = spec.DeepClone(),
            ["measurements"] = new JsonArray(measurements.Select(toJson).ToArray()),
        });
        var jsReports = sharded.GetProperty("reports").EnumerateArray().Select(r => new Prio3Report(
            Convert.FromHexString(r.GetProperty("nonce").GetString()!),
            Convert.FromHexString(r.GetProperty("publicShare").GetString()!),
            r.GetProperty("inputShares").EnumerateArray().Select(s => Convert.FromHexString(s.GetString()!)).ToArray())).ToArray();
        Assert.Equal(measurements.Length, jsReports.Length);

        var verifyKey = RandomNumberGenerator.GetBytes(16);
        var candor = new AggregatorPair<T, TMeasurement, TResult>(vdaf, verifyKey);
        var prepared = jsReports.Select(candor.Prepare).ToList();
        Assert.Empty(candor.Rejections);
        var resultOnJsReports = format(candor.Result);

        // 2. Candor's client shards; the JS aggregators prepare every report, theirs and ours.
        var candorReports = measurements.Select(m => AggregatorPair<T, TMeasurement, TResult>.Shard(vdaf, m)).ToArray();
        prepared.AddRange(candorReports.Select(candor.Prepare));
        Assert.Empty(candor.Rejections);
        var all = jsReports.Concat(candorReports).ToArray();
        var js = await Node(new JsonObject
        {
            ["mode"] = "prepare",
            ["vdaf"] = spec.DeepClone(),
            ["verifyKey"] = Convert.ToHexStringLower(verifyKey),
            ["reports"] = new JsonArray(all.Select(r => (JsonNode)new JsonObject
            {
                ["nonce"] = Convert.ToHexStringLower(r.Nonce),
                ["publicShare"] = Convert.ToHexStringLower(r.PublicShare),
                ["inputShares"] = new JsonArray(r.InputShares.Select(s => (JsonNode)Convert.ToHexStringLower(s)).ToArray()),
            }).ToArray()),
        });

        // 3. Same messages byte for byte, so the two implementations agree on every step.
        var jsPrepared = js.GetProperty("reports").EnumerateArray().ToArray();
        for (var i = 0; i < all.Length; i++)
        {
            Assert.False(jsPrepared[i].TryGetProperty("error", out var error), $"report {i} rejected by the JS aggregators: {error}");
            Assert.Equal(prepared[i].PrepareShares.Select(Convert.ToHexStringLower), jsPrepared[i].GetProperty("prepareShares").EnumerateArray().Select(s => s.GetString()));
            Assert.Equal(Convert.ToHexStringLower(prepared[i].PrepareMessage!), jsPrepared[i].GetProperty("prepareMessage").GetString());
        }
        Assert.Equal(2 * measurements.Length, js.GetProperty("accepted").GetInt32());
        Assert.Equal(candor.AggregateShares.Select(Convert.ToHexStringLower), js.GetProperty("aggregateShares").EnumerateArray().Select(s => s.GetString()));
        var jsResult = js.GetProperty("result");
        var jsText = jsResult.ValueKind == JsonValueKind.Array
            ? string.Join(",", jsResult.EnumerateArray().Select(e => e.ToString()))
            : jsResult.ToString();
        Assert.Equal(format(candor.Result), jsText);
        return resultOnJsReports;
    }

    private static string Folder([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "Interop");

    private static async Task<JsonElement> Node(JsonObject request)
    {
        var folder = Folder();
        var start = new ProcessStartInfo("node", [Path.Combine(folder, "prio3-interop.mjs")])
        {
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var node = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            var output = node.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = node.StandardError.ReadToEndAsync(timeout.Token);
            await node.StandardInput.WriteAsync(request.ToJsonString());
            node.StandardInput.Close();
            await node.WaitForExitAsync(timeout.Token);
            Assert.True(node.ExitCode == 0, "prio3-interop.mjs failed: " + await error);
            using var document = JsonDocument.Parse(await output);
            return document.RootElement.Clone();
        }
        finally
        {
            if (!node.HasExited)
                node.Kill();
        }
    }
}
