using System.Net;
using System.Text.Json.Nodes;
using Candor.Collector.Transparency;
using Candor.Tests.Infrastructure;
using Candor.Tests.Privacy.AtRest;
using Candor.Transparency;
using Xunit.Abstractions;

namespace Candor.Tests.Transparency;

/// <summary>
/// The leaf-order attack: the log is public forever, so its leaf order must not tell which reports came
/// in one batch. Planted installations (<see cref="PlantedPopulation"/>: each sends one rare value per
/// metric, among ordinary installations) send committed reports at low load (one batch at a time) and
/// at high load (all at once); an epoch is sealed; a monitor downloads every entry and tests whether
/// each planted installation's leaves sit together (<see cref="PlacementTest"/>, permutation test,
/// alpha 0.01). The shuffle is truly random, so one epoch would fail 1% of runs by chance alone: each
/// test seals two independent epochs and fails when both show structure (a false alarm once in 10,000
/// runs). A log appended in arrival order shows structure in every epoch: the last test proves the
/// attack finds it.
/// </summary>
public sealed class PlantedLeavesTests(ITestOutputHelper output)
{
    [Fact]
    public Task Leaf_order_shows_no_batch_structure_at_low_load() => RunAsync(highLoad: false, shuffled: true);

    [Fact]
    public Task Leaf_order_shows_no_batch_structure_at_high_load() => RunAsync(highLoad: true, shuffled: true);

    [Fact]
    public Task Without_the_shuffle_the_leaf_order_gives_planted_installations_away() => RunAsync(highLoad: false, shuffled: false);

    private async Task RunAsync(bool highLoad, bool shuffled)
    {
        var arrival = new Dictionary<string, int>(); // commitment (hex) -> the order the test sent it in
        await using var host = await PlantedHost.StartAsync(o =>
        {
            o.Transparency.EpochSpread = 1; // the whole population in one epoch: this attacks the order within it (EpochJoinTests: membership)
            if (!shuffled)
                o.Transparency.OrderForTests = entries => entries.OrderBy(e => arrival[Convert.ToHexString(e[1..])]).ToList();
        });
        var pValues = new List<double>();
        foreach (var seed in new[] { 1912, 2026 })
        {
            var population = new PlantedPopulation(seed);
            var cells = await SendAsync(host, population, highLoad, arrival);
            Assert.NotNull(await LogKit.SealAsync(host, force: false));
            var leaves = await EntriesAsync(host);
            var epochStart = leaves.Count - cells.Count;
            var order = new List<(string, string, double)>();
            for (int i = epochStart; i < leaves.Count; i++)
                if (cells.TryGetValue(Convert.ToHexString(leaves[i][1..]), out var cell) && IsRare(population, cell))
                    order.Add((cell.Metric, cell.Value, i));
            var p = PlacementTest.PValue(population.Positions(order));
            output.WriteLine($"epoch of seed {seed}: p = {p:0.000}");
            pValues.Add(p);
        }
        if (shuffled)
            Assert.True(pValues.Max() >= PlacementTest.Alpha, $"both epochs show batch structure: p = {string.Join(", ", pValues)}");
        else
            Assert.All(pValues, p => Assert.True(p < PlacementTest.Alpha, $"the test no longer detects an arrival-order log: p = {p}"));
    }

    private static bool IsRare(PlantedPopulation population, (string Metric, string Value) cell) =>
        population.RareValues.Any(installation => installation[int.Parse(cell.Metric["hw.m".Length..])] == cell.Value);

    /// <summary>Sends the population's batches, each report with a fresh commitment; returns commitment (hex) -> (metric, value).</summary>
    private static async Task<Dictionary<string, (string Metric, string Value)>> SendAsync(CollectorHost host, PlantedPopulation population, bool highLoad,
        Dictionary<string, int> arrival)
    {
        var cells = new Dictionary<string, (string, string)>();
        var bodies = new List<string>();
        foreach (var batch in population.Batches)
        {
            var json = JsonNode.Parse(batch)!;
            foreach (var report in json["reports"]!.AsArray())
            {
                var (metric, value) = (report!["metric"]!.GetValue<string>(), report["value"]!.GetValue<string>());
                var commitment = ReportCommitment.Compute(ReportCommitment.NewNonce(), PlantedPopulation.App, metric, PlantedPopulation.Week, value);
                report["commitment"] = ReportCommitment.Encode(commitment);
                cells[Convert.ToHexString(commitment)] = (metric, value);
                lock (arrival)
                    arrival[Convert.ToHexString(commitment)] = arrival.Count;
            }
            bodies.Add(json.ToJsonString());
        }
        if (highLoad)
        {
            var answers = await Task.WhenAll(bodies.Select(b => Task.Run(() => host.PostAsync(b, PlantedPopulation.App))));
            Assert.All(answers, a => Assert.Equal(HttpStatusCode.Accepted, a.StatusCode));
        }
        else
        {
            foreach (var b in bodies)
                Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(b, PlantedPopulation.App)).StatusCode);
        }
        return cells;
    }

    /// <summary>Every entry of the log, as a mirror downloads them.</summary>
    internal static async Task<List<byte[]>> EntriesAsync(CollectorHost host)
    {
        var entries = new List<byte[]>();
        while (true)
        {
            var page = await LogKit.JsonAsync(host.Client, $"/v1/log/entries?start={entries.Count}&count={LogEndpoints.MaxEntriesPerPage}");
            var got = page.GetProperty("entries").EnumerateArray().Select(e => Convert.FromBase64String(e.GetString()!)).ToList();
            entries.AddRange(got);
            if (got.Count < LogEndpoints.MaxEntriesPerPage)
                return entries;
        }
    }
}

/// <summary>A collector serving the planted population's registry.</summary>
internal static class PlantedHost
{
    public static async Task<CollectorHost> StartAsync(Action<Candor.Collector.CollectorOptions>? configure = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(directory);
        var registry = Path.Combine(directory, "planted.yaml");
        await File.WriteAllTextAsync(registry, PlantedPopulation.Registry());
        return await CollectorHost.StartAsync(o =>
        {
            o.RegistryFiles = [registry];
            configure?.Invoke(o);
        }, directory: directory);
    }
}
