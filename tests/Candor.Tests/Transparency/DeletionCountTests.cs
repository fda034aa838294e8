using System.Net;
using System.Net.Http.Json;
using Candor.Tests.Infrastructure;
using Candor.Tests.Privacy.AtRest;
using Candor.Transparency;
using Xunit.Abstractions;

namespace Candor.Tests.Transparency;

/// <summary>
/// The public log alone showed six deletions in one epoch pointing at six leaves of one earlier
/// epoch: one device's report count, and that they were sent together. Here device X deletes all six reports
/// of its batch and six devices Y1..Y6 delete one report each; all twelve reports are in one epoch. The
/// attacker reads only the public log: each deletion leaf, its epoch, and the report leaf it points to, and
/// pairs deletions that share an epoch. Statistic: T = pairs of X's deletions sharing an epoch. Null (the log
/// cannot tell X's deletions from the others'): the twelve labels are exchangeable, so T is compared with 999
/// permutations of them; p = (1 + #{T_perm &gt;= T_obs}) / 1000, structure when p &lt; 0.01; two independent
/// runs, failing only when both show it. Protected: each deletion travels alone at its own random moment (as
/// the client sends them, docs/client.md) and lands in one of the next K = 8 epochs. Control: X's six receipts
/// in one request into a log that seals each arrival window whole (K = 1): the attack must see them together.
/// </summary>
public sealed class DeletionCountTests(ITestOutputHelper output)
{
    [Fact]
    public Task The_public_log_does_not_show_how_many_reports_one_device_deleted_on_sqlite() => RunAsync(null, protectedLog: true);

    [PostgresFact]
    public async Task The_public_log_does_not_show_how_many_reports_one_device_deleted_on_postgres()
    {
        await using var database = await TestDatabase.CreateAsync();
        await RunAsync(database.ConnectionString, protectedLog: true);
    }

    [Fact]
    public Task Deletions_sent_together_into_whole_epochs_show_the_device_s_count() => RunAsync(null, protectedLog: false);

    private const int Windows = 12, MinBatches = 10;

    private async Task RunAsync(string? postgres, bool protectedLog)
    {
        await using var host = await PlantedHost.StartAsync(o =>
        {
            if (postgres is not null)
                o.Database = postgres;
            o.Transparency.MinEpochBatches = MinBatches;
            o.Transparency.EpochSpread = protectedLog ? 8 : 1;
        });
        var pValues = new List<double>();
        foreach (var seed in new[] { 7, 23 })
        {
            var random = new Random(seed);
            // X: one batch of six reports; Y1..Y6: one report each. Everything is logged in one epoch first.
            var x = await SendAsync(host, Enumerable.Range(0, 6).Select(m => (m, $"v{seed % 8:00}")).ToArray());
            var ys = new List<Receipt>();
            for (int m = 0; m < 6; m++)
                ys.AddRange(await SendAsync(host, (m, "v01")));
            Assert.NotNull(await LogKit.SealAsync(host, force: true));

            // The requests and the window each leaves in: alone at random moments, or (control) X's six at once.
            var requests = new List<(int Window, Receipt[] Receipts)>();
            if (protectedLog)
                requests.AddRange(x.Select(r => (random.Next(Windows), new[] { r })));
            else
                requests.Add((random.Next(Windows), x.ToArray()));
            requests.AddRange(ys.Select(r => (random.Next(Windows), new[] { r })));
            var boundaries = new List<long>();
            var xCommitments = x.Select(r => Convert.ToHexString(r.Commitment)).ToHashSet();
            var all = xCommitments.Concat(ys.Select(r => Convert.ToHexString(r.Commitment))).ToHashSet();
            List<byte[]> entries;
            for (int window = 0; ; window++)
            {
                foreach (var (_, receipts) in requests.Where(r => r.Window == window))
                    await DeleteAsync(host, receipts);
                for (int i = 0; i < MinBatches; i++)
                    await SendAsync(host, (0, "v00"));
                if (await LogKit.SealAsync(host, force: false) is long size)
                    boundaries.Add(size);
                entries = await PlantedLeavesTests.EntriesAsync(host);
                var deleted = entries.Where(e => e[0] == (byte)LogEntryKind.Deletion).Select(e => Convert.ToHexString(e[1..])).ToHashSet();
                if (window >= Windows && all.All(deleted.Contains))
                    break;
                Assert.True(window < Windows + 40, "deletions still pending after many epochs");
            }
            // The attack, on the public log only: each deletion leaf's epoch; which device is what it must not learn.
            var labelled = new List<(bool X, int Epoch)>();
            for (int i = 0; i < entries.Count; i++)
                if (entries[i][0] == (byte)LogEntryKind.Deletion && all.Contains(Convert.ToHexString(entries[i][1..])))
                    labelled.Add((xCommitments.Contains(Convert.ToHexString(entries[i][1..])), boundaries.FindIndex(b => b > i)));
            Assert.Equal(12, labelled.Count);
            var p = PValue(labelled.Select(l => l.Epoch).ToArray(), labelled.Select(l => l.X).ToArray(), seed);
            output.WriteLine($"seed {seed}: X's deletions in epochs {string.Join(",", labelled.Where(l => l.X).Select(l => l.Epoch))}, the others in {string.Join(",", labelled.Where(l => !l.X).Select(l => l.Epoch))}: p = {p:0.000}");
            pValues.Add(p);
        }
        if (protectedLog)
            Assert.True(pValues.Max() >= EpochJoinTest.Alpha, $"both runs show one device's deletions together: p = {string.Join(", ", pValues)}");
        else
            Assert.All(pValues, p => Assert.True(p < EpochJoinTest.Alpha, $"the attack no longer sees deletions sent together: p = {p}"));
    }

    private static double PValue(int[] epochs, bool[] isX, int seed)
    {
        static int T(int[] epochs, bool[] isX)
        {
            int t = 0;
            for (int a = 0; a < epochs.Length; a++)
                for (int b = a + 1; b < epochs.Length; b++)
                    if (isX[a] && isX[b] && epochs[a] == epochs[b])
                        t++;
            return t;
        }
        int observed = T(epochs, isX), asExtreme = 0;
        var random = new Random(seed);
        var labels = isX.ToArray();
        for (int p = 0; p < EpochJoinTest.Permutations; p++)
        {
            random.Shuffle(labels);
            if (T(epochs, labels) >= observed)
                asExtreme++;
        }
        return (1.0 + asExtreme) / (EpochJoinTest.Permutations + 1.0);
    }

    private sealed record Receipt(byte[] Nonce, byte[] Commitment, string Metric, string Value);

    private static async Task<List<Receipt>> SendAsync(CollectorHost host, params (int Metric, string Value)[] reports)
    {
        var receipts = new List<Receipt>();
        var items = new List<string>();
        foreach (var (m, value) in reports)
        {
            var nonce = ReportCommitment.NewNonce();
            var commitment = ReportCommitment.Compute(nonce, PlantedPopulation.App, PlantedPopulation.Metric(m), PlantedPopulation.Week, value);
            receipts.Add(new Receipt(nonce, commitment, PlantedPopulation.Metric(m), value));
            items.Add($$"""{"metric":"{{PlantedPopulation.Metric(m)}}","value":"{{value}}","commitment":"{{ReportCommitment.Encode(commitment)}}"}""");
        }
        var body = $$"""{"schema":1,"period":"{{PlantedPopulation.Week}}","reports":[{{string.Join(",", items)}}]}""";
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(body, PlantedPopulation.App)).StatusCode);
        return receipts;
    }

    private static async Task DeleteAsync(CollectorHost host, Receipt[] receipts)
    {
        var response = await host.Client.PostAsJsonAsync("/v1/log/deletions", new
        {
            app = PlantedPopulation.App,
            receipts = receipts.Select(r => new { nonce = ReportCommitment.Encode(r.Nonce), metric = r.Metric, period = PlantedPopulation.Week, value = r.Value }),
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.DoesNotContain("not-found", body);
    }
}
