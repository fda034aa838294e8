using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Candor.Collector.Registry;
using Candor.Dap;
using Candor.Protocol;
using Candor.Registry;
using Microsoft.Extensions.Logging;

namespace Candor.Collector.Publishing;

/// <summary>
/// The true counts of a split-trust metric's period, for the <see cref="Publisher"/>: this collector, as the
/// DAP Collector of the metric's task (<see cref="CollectorOptions.DapCollectorFiles"/>), collects the batch
/// of the period from the Leader, opens both aggregate shares and turns the aggregate into counts per value.
/// The publisher then treats them exactly like a plain metric's rollups: noise, threshold, released once.
///
/// A batch can be collected only once (DAP-09), so the collection job's id is derived from the task and the
/// period: after a crash between collecting and storing the release, asking again gets the same result
/// from the Leader instead of a refusal. A period whose batch never reaches the task's minimum size stays
/// pending at the Leader; after <see cref="GraceDays"/> past final it is released as a period with no
/// reports (noise only), which is what a period with a few reports must look like (publisher rule 4).
/// </summary>
internal sealed class SplitTrustCounts(IReadOnlyDictionary<string, DapCollectorCredentials> credentials, ILogger<SplitTrustCounts> log) : IDisposable
{
    /// <summary>Days past final a split-trust period may stay short of the minimum batch size before it is released empty.</summary>
    public const int GraceDays = 3;

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Loads the Collector files and checks each against the registries' split-trust metrics.</summary>
    /// <exception cref="FormatException">A file cannot be read, or does not fit the metric that names its task; the message says which.</exception>
    public static IReadOnlyDictionary<string, DapCollectorCredentials> Load(IEnumerable<string> files, IEnumerable<MetricDefinition> metrics)
    {
        var byTask = new Dictionary<string, DapCollectorCredentials>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            DapCollectorCredentials c;
            try
            {
                c = DapCollectorCredentials.Parse(File.ReadAllText(file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                throw new FormatException($"{file}: {e.Message}");
            }
            var id = DapTask.Base64Url(c.TaskId);
            if (86400 % c.TimePrecision != 0)
                throw new FormatException($"{file}: the task's timePrecision ({c.TimePrecision} s) must divide a day, so a period is a whole batch");
            foreach (var m in metrics.Where(m => m.SplitTrust?.TaskId == id))
                if (!JsonNode.DeepEquals(c.Vdaf.Spec, JsonNode.Parse(m.SplitTrust!.VdafJson)))
                    throw new FormatException($"{file}: the task's VDAF {c.Vdaf.Spec.ToJsonString()} is not the registry's for {m.Name} ({m.SplitTrust.VdafJson})");
            byTask[id] = c;
        }
        return byTask;
    }

    /// <summary>
    /// The period's true counts per value; null while the Leader cannot give them yet (the next release run
    /// asks again). Empty counts once the period has stayed below the minimum batch size for <see cref="GraceDays"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No Collector file for the metric's task.</exception>
    public async Task<IReadOnlyDictionary<string, long>?> CountsAsync(MetricDefinition def, PeriodKey period, DateOnly finalOn, DateOnly today, CancellationToken ct)
    {
        var split = def.SplitTrust ?? throw new ArgumentException($"{def.Name} is not a split-trust metric", nameof(def));
        if (!credentials.TryGetValue(split.TaskId, out var collector))
            throw new InvalidOperationException($"{def.Name}: no DAP Collector file for task {split.TaskId} (setting DapCollectorFiles)");
        var start = (ulong)new DateTimeOffset(period.Start.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeSeconds();
        var interval = new DapInterval(start, (ulong)(period.End.DayNumber - period.Start.DayNumber) * 86400);
        var client = new DapCollectorClient(_http, collector);
        var job = await client.StartAsync(interval, JobId(split.TaskId, interval), ct);
        // One poll per release run: the Leader aggregates what is waiting before it answers, so a second poll
        // now would find the same; the next run asks again.
        if (await client.PollAsync(job, interval, ct) is { } result)
        {
            log.LogInformation("Collected split-trust {Metric} {Period}: {Reports} reports", def.Name, period, result.ReportCount);
            return SplitTrustMeasurement.Counts(def, result.Aggregate, result.ReportCount);
        }
        if (today >= finalOn.AddDays(GraceDays))
        {
            log.LogInformation("Split-trust {Metric} {Period} stayed below the task's minimum batch size: released as a period without reports", def.Name, period);
            return new Dictionary<string, long>();
        }
        return null;
    }

    /// <summary>The collection job of one task's period: the same id every time it is asked for.</summary>
    public static byte[] JobId(string taskId, DapInterval interval) =>
        SHA256.HashData(Encoding.UTF8.GetBytes($"candor publish v1\n{taskId}\n{interval.Start}\n{interval.Duration}")).AsSpan(0, 16).ToArray();

    public void Dispose() => _http.Dispose();
}
