using System.Text.Json.Nodes;
using Candor.Dap;
using Candor.Tests.Infrastructure;
using Candor.Tests.Operations;
using Candor.Vdaf;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.Dap;

/// <summary>
/// The split-trust claim attacked at rest: a hostile Leader operator reads every report it holds from its
/// own database file (its Helper unreachable, so nothing has been aggregated or deleted yet), with the task's
/// verification key and its own HPKE key, and guesses each Count report's value from the stored shares.
/// It does no better than a coin. Positive control: the same operator with the Helper's HPKE key (the two
/// aggregators colluding, the one case DAP does not protect) recovers every value from the same rows.
/// </summary>
public sealed class OneAggregatorLearnsNothingTests
{
    private const int Reports = 400;

    [Fact]
    public async Task A_leader_reading_its_stored_shares_guesses_count_values_no_better_than_chance_but_with_the_helpers_key_it_recovers_them_all()
    {
        var helperPort = LoopbackClient.FreePort(); // nothing listens there: the Helper is down
        var leaderPort = LoopbackClient.FreePort();
        var (leaderTask, helperTask, _) = DapTaskProvisioner.Create(new Uri($"http://127.0.0.1:{leaderPort}/"), new Uri($"http://127.0.0.1:{helperPort}/"),
            new JsonObject { ["type"] = "count" }, 3600, 100);
        var directory = Path.Combine(Path.GetTempPath(), "candor-tests", "dap-attack-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, "leader.json");
        await File.WriteAllTextAsync(file, DapTaskFile.Write([leaderTask]));
        await using var leader = await CollectorHost.StartAsync(o => { o.Urls = [$"http://127.0.0.1:{leaderPort}"]; o.DapTasksFile = file; },
            directory: Path.Combine(directory, "leader"));

        using var http = new HttpClient();
        var client = new DapUploadClient(http, leaderTask.Id, leaderTask.Leader, leaderTask.Helper, leaderTask.Vdaf, 3600);
        client.UseConfigurations(leaderTask.HpkeKeys[0].Config, helperTask.HpkeKeys[0].Config);
        var now = (ulong)leader.Clock.GetUtcNow().ToUnixTimeSeconds();
        var truth = new Dictionary<string, bool>();
        var random = new Random(28);
        for (var i = 0; i < Reports; i++)
        {
            var value = random.Next(2) == 1;
            var report = client.Generate(value ? 1UL : 0UL, now);
            await client.UploadAsync(report);
            truth[Convert.ToHexString(report.Metadata.ReportId)] = value;
        }

        // The attacker's view: every stored row of the Leader's database, read from the file.
        var rows = new List<(string Id, byte[] PublicShare, byte[] LeaderShare, byte[] HelperShare, ulong Bucket)>();
        using (var c = new SqliteConnection($"Data Source={leader.DatabasePath};Mode=ReadOnly;Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT report, public_share, leader_share, helper_share, bucket FROM dap_reports;";
            using var r = cmd.ExecuteReader();
            while (r.Read())
                rows.Add((Convert.ToHexString((byte[])r[0]), (byte[])r[1], (byte[])r[2], (byte[])r[3], (ulong)r.GetInt64(4)));
        }
        Assert.Equal(Reports, rows.Count);

        // The attack: the Leader's measurement share is one Field64 element; guess "1" when it is 1, else "0"
        // (any rule on a uniformly random element does as well as any other).
        var correct = rows.Count(row =>
        {
            Assert.True(Field64.TryRead(row.LeaderShare.AsSpan(0, Field64.EncodedSize), out var element));
            return (element == Field64.One) == truth[row.Id];
        });
        var accuracy = (double)correct / Reports;
        // Chance is 0.5; with 400 reports the standard deviation is 0.025, so 0.4..0.6 is four of them.
        Assert.InRange(accuracy, 0.4, 0.6);

        // Positive control: the same rows with the Helper's key (collusion) give every value.
        var vdaf = leaderTask.Vdaf;
        var recovered = rows.Count(row =>
        {
            var reader = new DapReader(row.HelperShare);
            var sealedShare = HpkeCiphertext.Decode(ref reader);
            var id = Convert.FromHexString(row.Id);
            var helperShare = PlaintextInputShare.Decode(DapHpke.Open(helperTask.HpkeKeys[0], DapHpke.InputShareInfo(DapRole.Helper),
                InputShareAad.Encode(leaderTask.Id, new ReportMetadata(id, row.Bucket), row.PublicShare), sealedShare)).Payload;
            var (leaderState, leaderPrep) = vdaf.PrepareInit(leaderTask.VerifyKey, DapRole.Leader, id, row.PublicShare, row.LeaderShare);
            var (helperState, helperPrep) = vdaf.PrepareInit(leaderTask.VerifyKey, DapRole.Helper, id, row.PublicShare, helperShare);
            var message = vdaf.PrepareSharesToPrepare(leaderPrep, helperPrep);
            var value = vdaf.Unshard(vdaf.PrepareNext(leaderState, message), vdaf.PrepareNext(helperState, message), 1);
            return (value == "1") == truth[row.Id];
        });
        Assert.Equal(Reports, recovered);
    }
}
