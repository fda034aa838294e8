using System.Diagnostics;
using System.Globalization;
using Candor.Dap;

namespace Candor.Benchmarks;

/// <summary>
/// <c>dap-profile &lt;task folder&gt; &lt;reports&gt;</c>: the CPU time of each step an aggregation job takes per
/// report, in one thread and in-process (no HTTP, no database), so a busy machine does not distort it: the
/// process's CPU time around each step's loop over every report.
/// </summary>
internal static class DapProfile
{
    public static int Run(string[] args)
    {
        var folder = args[0];
        var count = int.Parse(args[1], CultureInfo.InvariantCulture);
        var leader = DapTaskFile.Parse(File.ReadAllText(Path.Combine(folder, "leader-tasks.json")))[0];
        var helper = DapTaskFile.Parse(File.ReadAllText(Path.Combine(folder, "helper-tasks.json")))[0];
        var client = new DapUploadClient(new HttpClient(), leader.Id, leader.Leader, leader.Helper, leader.Vdaf, leader.TimePrecision);
        client.UseConfigurations(leader.HpkeKeys[0].Config, helper.HpkeKeys[0].Config);
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var reports = Enumerable.Range(0, count).Select(i => client.Generate((ulong)(i % 2), now)).ToArray();
        var vdaf = leader.Vdaf;
        byte[][] leaderPlain = new byte[count][], helperPlain = new byte[count][], leaderShares = new byte[count][], helperShares = new byte[count][], messages = new byte[count][];
        object[] leaderStates = new object[count], helperStates = new object[count];
        byte[][] outputs = new byte[count][];
        for (var round = 0; round < 2; round++) // the first round warms the JIT
        {
            Console.WriteLine(round == 0 ? "   (warm-up round)" : $"   CPU µs per report, one thread, {count} reports:");
            Step(round, count, "HPKE open, Leader share", i => leaderPlain[i] = PlaintextInputShare.Decode(DapHpke.Open(leader.HpkeKeys[0], DapHpke.InputShareInfo(DapRole.Leader),
                InputShareAad.Encode(leader.Id, reports[i].Metadata, reports[i].PublicShare), reports[i].LeaderShare)).Payload);
            Step(round, count, "HPKE open, Helper share", i => helperPlain[i] = PlaintextInputShare.Decode(DapHpke.Open(helper.HpkeKeys[0], DapHpke.InputShareInfo(DapRole.Helper),
                InputShareAad.Encode(helper.Id, reports[i].Metadata, reports[i].PublicShare), reports[i].HelperShare)).Payload);
            Step(round, count, "prep_init, Leader", i => (leaderStates[i], leaderShares[i]) = vdaf.PrepareInit(leader.VerifyKey, DapRole.Leader, reports[i].Metadata.ReportId, reports[i].PublicShare, leaderPlain[i]));
            Step(round, count, "prep_init, Helper", i => (helperStates[i], helperShares[i]) = vdaf.PrepareInit(helper.VerifyKey, DapRole.Helper, reports[i].Metadata.ReportId, reports[i].PublicShare, helperPlain[i]));
            Step(round, count, "prep_shares_to_prep", i => messages[i] = vdaf.PrepareSharesToPrepare(leaderShares[i], helperShares[i]));
            Step(round, count, "prep_next, both", i => { outputs[i] = vdaf.PrepareNext(leaderStates[i], messages[i]); vdaf.PrepareNext(helperStates[i], messages[i]); });
            var aggregate = vdaf.EmptyAggregate();
            Step(round, count, "add into an encoded aggregate", i => aggregate = vdaf.Add(aggregate, outputs[i]));
        }
        return 0;
    }

    private static void Step(int round, int count, string name, Action<int> work)
    {
        var process = Process.GetCurrentProcess();
        var before = process.TotalProcessorTime;
        for (var i = 0; i < count; i++)
            work(i);
        process.Refresh();
        if (round > 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {name,-32} {(process.TotalProcessorTime - before).TotalMicroseconds / count,8:F1}"));
    }
}
