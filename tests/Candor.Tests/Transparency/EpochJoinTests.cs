using System.Net;
using System.Text.Json.Nodes;
using Candor.Collector.Transparency;
using Candor.Tests.Infrastructure;
using Candor.Tests.Privacy.AtRest;
using Candor.Transparency;
using Xunit.Abstractions;

namespace Candor.Tests.Transparency;

/// <summary>
/// The epoch join: the log is public forever and shows which epoch each leaf is in. When a batch
/// landed whole in one epoch and epochs were small (a quiet collector: 10 to 20 batches), an attacker who
/// knew reports' values paired the rare values of planted installations by epoch with precision 0.73 against
/// 0.06 without the log. Here 16 planted installations (<see cref="PlantedPopulation"/>) among 240 send
/// committed batches over 13 clock ticks (about 20 batches each), the collector seals when its rule says so,
/// ordinary traffic follows until every planted leaf is logged, and a monitor downloads the log and the
/// epoch boundaries. <see cref="EpochJoinTest"/> compares pair precision within epochs with the no-log
/// baseline (permutation test, alpha 0.01). Each run uses two populations and fails only when both show
/// structure (a false alarm once in 10,000 runs). Control: the old assignment (a batch lands whole in the
/// next epoch, K = 1) with small epochs, which the attack must break on both engines.
/// </summary>
public sealed class EpochJoinTests(ITestOutputHelper output)
{
    /// <summary>The shipped defaults, which the documents state (docs/transparency.md, "Epochs"): the protected
    /// runs set nothing, so raising the defaults' privacy or lowering it is what this test measures.</summary>
    private static readonly TransparencyOptions Shipped = new();

    [Fact]
    public Task Epoch_membership_pairs_no_better_than_without_the_log_on_sqlite() => RunAsync(null, protectedLog: true);

    [PostgresFact]
    public async Task Epoch_membership_pairs_no_better_than_without_the_log_on_postgres()
    {
        await using var database = await TestDatabase.CreateAsync();
        await RunAsync(database.ConnectionString, protectedLog: true);
    }

    [Fact]
    public Task With_batches_sealed_whole_into_small_epochs_the_epoch_join_finds_the_planted_installations_on_sqlite() => RunAsync(null, protectedLog: false);

    [PostgresFact]
    public async Task With_batches_sealed_whole_into_small_epochs_the_epoch_join_finds_the_planted_installations_on_postgres()
    {
        await using var database = await TestDatabase.CreateAsync();
        await RunAsync(database.ConnectionString, protectedLog: false);
    }

    private async Task RunAsync(string? postgres, bool protectedLog)
    {
        await using var host = await PlantedHost.StartAsync(o =>
        {
            if (postgres is not null)
                o.Database = postgres;
            if (!protectedLog)
            {
                // The old assignment on a quiet collector: a batch lands whole in the next epoch of ten batches.
                o.Transparency.MinEpochBatches = 10;
                o.Transparency.EpochSpread = 1;
            }
        });
        int minBatches = host.Options.Transparency.MinEpochBatches, spread = host.Options.Transparency.EpochSpread;
        if (protectedLog)
            Assert.Equal((Shipped.MinEpochBatches, Shipped.EpochSpread), (minBatches, spread));
        var results = new List<(double P, double Precision, double Baseline)>();
        foreach (var seed in new[] { 1912, 2026 })
        {
            var result = EpochJoinTest.Run(await EpochsAsync(host, new PlantedPopulation(seed), minBatches, spread));
            output.WriteLine($"seed {seed}, MinEpochBatches {minBatches}, EpochSpread {spread}: pair precision {result.Precision:0.000} against {result.Baseline:0.000} without the log, p = {result.P:0.000}");
            results.Add(result);
        }
        if (protectedLog)
            Assert.True(results.Max(r => r.P) >= EpochJoinTest.Alpha, $"both populations paired by epoch: p = {string.Join(", ", results.Select(r => r.P))}");
        else
            Assert.All(results, r => Assert.True(r.P < EpochJoinTest.Alpha, $"the epoch join no longer finds batches sealed whole: p = {r.P}"));
    }

    /// <summary>Sends the population over 13 ticks, then ordinary traffic until every planted leaf is logged;
    /// returns epochs[installation][metric] as a monitor reads them off the log.</summary>
    private static async Task<int[][]> EpochsAsync(CollectorHost host, PlantedPopulation population, int minBatches, int spread)
    {
        var cells = new Dictionary<string, (string Metric, string Value)>(); // commitment (hex) -> rare cell
        var boundaries = new List<long>(); // tree size after each sealed epoch, as the checkpoints show
        long start = (await PlantedLeavesTests.EntriesAsync(host)).Count;
        const int Ticks = 13;
        int perTick = (population.Batches.Count + Ticks - 1) / Ticks;
        for (int tick = 0; tick < Ticks; tick++)
        {
            foreach (var batch in population.Batches.Skip(tick * perTick).Take(perTick))
                Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(Commit(batch, population, cells), PlantedPopulation.App)).StatusCode);
            if (await LogKit.SealAsync(host, force: false) is long size)
                boundaries.Add(size);
        }
        // Ordinary single-report batches keep the collector sealing until the planted leaves are all in.
        List<byte[]> entries = [];
        for (int round = 0; ; round++)
        {
            entries = await PlantedLeavesTests.EntriesAsync(host);
            var logged = entries.Select(e => Convert.ToHexString(e[1..])).ToHashSet();
            if (cells.Keys.All(logged.Contains))
                break;
            Assert.True(round < 4 * spread + 4, "planted leaves still pending after many epochs");
            for (int i = 0; i < minBatches; i++)
            {
                var filler = $$"""{"schema":1,"period":"{{PlantedPopulation.Week}}","reports":[{"metric":"hw.m0","value":"v00","commitment":"{{ReportCommitment.Encode(ReportCommitment.Compute(ReportCommitment.NewNonce(), PlantedPopulation.App, "hw.m0", PlantedPopulation.Week, "v00"))}}"}]}""";
                Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(filler, PlantedPopulation.App)).StatusCode);
            }
            if (await LogKit.SealAsync(host, force: false) is long size)
                boundaries.Add(size);
        }
        var order = new List<(string, string, double)>();
        for (int i = (int)start; i < entries.Count; i++)
            if (cells.TryGetValue(Convert.ToHexString(entries[i][1..]), out var cell))
                order.Add((cell.Metric, cell.Value, boundaries.FindIndex(b => b > i)));
        return population.Positions(order).Select(row => row.Select(e => (int)e).ToArray()).ToArray();
    }

    /// <summary>The batch with a fresh commitment on every report; remembers the planted (rare) ones.</summary>
    private static string Commit(string batch, PlantedPopulation population, Dictionary<string, (string, string)> cells)
    {
        var json = JsonNode.Parse(batch)!;
        foreach (var report in json["reports"]!.AsArray())
        {
            var (metric, value) = (report!["metric"]!.GetValue<string>(), report["value"]!.GetValue<string>());
            var commitment = ReportCommitment.Compute(ReportCommitment.NewNonce(), PlantedPopulation.App, metric, PlantedPopulation.Week, value);
            report["commitment"] = ReportCommitment.Encode(commitment);
            if (population.RareValues.Any(installation => installation[int.Parse(metric["hw.m".Length..])] == value))
                cells[Convert.ToHexString(commitment)] = (metric, value);
        }
        return json.ToJsonString();
    }
}
