using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Candor.Dap;

namespace Candor.Benchmarks;

/// <summary>
/// The DAP load for bench/run-dap.sh: <c>dap-load &lt;task folder&gt; &lt;reports&gt; &lt;connections&gt; [leader pid] [helper pid]</c>.
/// Builds every report first (Candor's own Prio3 sharding and HPKE sealing, on all cores, not timed),
/// uploads them to the Leader from <c>connections</c> concurrent HTTP/1.1 connections (uploaded/s), then
/// starts one collection job over their batch and polls it: the poll makes the Leader run every
/// aggregation job with the Helper first, so the time from the first poll to the Collection is the time to
/// aggregate them all at both aggregators (aggregated/s). Checks the aggregate against the exact sum of
/// the measurements. With the two pids, also prints each process's CPU seconds per 1,000 reports in each
/// phase (utime + stime from /proc), which a busy machine does not distort as it does rates.
/// </summary>
internal static class DapLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var folder = args[0];
        var count = int.Parse(args[1], CultureInfo.InvariantCulture);
        var connections = int.Parse(args[2], CultureInfo.InvariantCulture);
        int[] pids = args.Length >= 5 ? [int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture)] : [];
        var leaderTask = DapTaskFile.Parse(File.ReadAllText(Path.Combine(folder, "leader-tasks.json")))[0];
        var helperTask = DapTaskFile.Parse(File.ReadAllText(Path.Combine(folder, "helper-tasks.json")))[0];
        var collector = DapCollectorCredentials.Parse(File.ReadAllText(Path.Combine(folder, "collector.json")));
        var vdafType = leaderTask.Vdaf.Spec["type"]!.GetValue<string>();
        var buckets = vdafType == "histogram" ? leaderTask.Vdaf.Spec["length"]!.GetValue<int>() : 2;

        var client = new DapUploadClient(new HttpClient(), leaderTask.Id, leaderTask.Leader, leaderTask.Helper, leaderTask.Vdaf, leaderTask.TimePrecision);
        client.UseConfigurations(leaderTask.HpkeKeys[0].Config, helperTask.HpkeKeys[0].Config);
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var measurements = new ulong[count];
        var random = new Random();
        for (var i = 0; i < count; i++)
            measurements[i] = (ulong)random.Next(buckets);
        var bodies = new byte[count][];
        var build = Stopwatch.StartNew();
        Parallel.For(0, count, i => bodies[i] = client.Generate(measurements[i], now).Encode());
        Console.WriteLine($"   built {count} {vdafType} reports in {build.Elapsed.TotalSeconds:F1} s (client side, all cores, not counted)");

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections }) { Timeout = TimeSpan.FromMinutes(10) };
        var uploadUri = new Uri(leaderTask.Leader, $"tasks/{leaderTask.IdText}/reports");
        var cpu0 = Cpu(pids);
        var next = -1;
        var refused = 0;
        var upload = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) is var i && i < count)
            {
                using var content = new ByteArrayContent(bodies[i]);
                content.Headers.ContentType = new MediaTypeHeaderValue(DapMediaTypes.Report);
                using var response = await http.PutAsync(uploadUri, content);
                if (response.StatusCode != HttpStatusCode.Created && Interlocked.Increment(ref refused) <= 3)
                    Console.Error.WriteLine($"   upload refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }));
        upload.Stop();
        var cpu1 = Cpu(pids);
        Console.WriteLine($"   uploaded {count - refused} reports ({refused} refused) in {upload.Elapsed.TotalSeconds:F2} s with {connections} connections");

        var interval = new DapInterval(leaderTask.RoundDown(now), leaderTask.TimePrecision);
        var collect = new DapCollectorClient(http, collector);
        var job = await collect.StartAsync(interval);
        var aggregate = Stopwatch.StartNew();
        DapCollectionResult? result;
        while ((result = await collect.PollAsync(job, interval)) is null)
            await Task.Delay(100);
        aggregate.Stop();
        var cpu2 = Cpu(pids);

        var expected = vdafType == "histogram"
            ? string.Join(",", Enumerable.Range(0, buckets).Select(b => measurements.Count(m => m == (ulong)b)))
            : measurements.Aggregate(0UL, (s, m) => s + m).ToString(CultureInfo.InvariantCulture);
        var exact = result.Aggregate == expected && result.ReportCount == (ulong)(count - refused);
        Console.WriteLine($"   collected {result.ReportCount} reports {(exact ? "(aggregate equals the exact sum)" : $"(WRONG: {result.Aggregate} vs {expected})")}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT {vdafType} reports={count - refused} uploaded_per_s={(count - refused) / upload.Elapsed.TotalSeconds:F0} aggregated_per_s={result.ReportCount / aggregate.Elapsed.TotalSeconds:F0} " +
            $"aggregate_s={aggregate.Elapsed.TotalSeconds:F2}{CpuText("upload", cpu0, cpu1, count)}{CpuText("aggregate", cpu1, cpu2, count)}"));
        return exact && refused == 0 ? 0 : 1;
    }

    /// <summary>utime + stime of each process, in seconds.</summary>
    private static double[] Cpu(int[] pids) => pids.Select(pid =>
    {
        var fields = File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // After the ")" closing the command name, utime and stime are the 12th and 13th fields.
        return (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }).ToArray();

    private static string CpuText(string phase, double[] before, double[] after, int reports) =>
        before.Length == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
            $" {phase}_cpu_s_per_1k: leader={(after[0] - before[0]) * 1000 / reports:F3} helper={(after[1] - before[1]) * 1000 / reports:F3}");
}
