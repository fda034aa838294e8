using System.Text.Json.Nodes;
using Candor.Collector;
using Candor.Collector.Dap;
using Candor.Dap;
using Candor.Tests.Infrastructure;
using Candor.Tests.Operations;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Tests.Dap;

/// <summary>
/// Two real collectors on loopback, one the Leader and one the Helper of a fresh task, each with its own
/// database (SQLite files, or two PostgreSQL databases), started from task files as <c>candor serve --dap</c>
/// would be; plus the Collector's credentials and a C# client for the task.
/// </summary>
internal sealed class DapAggregators : IAsyncDisposable
{
    public const ulong TimePrecision = 3600;

    private readonly List<IAsyncDisposable> _owned = [];

    public required CollectorHost Leader { get; init; }
    public required CollectorHost Helper { get; init; }
    public required DapTask LeaderTask { get; init; }
    public required DapTask HelperTask { get; init; }
    public required DapCollectorCredentials Collector { get; init; }

    public DapStore LeaderStore => Leader.App.Services.GetRequiredService<DapStore>();
    public DapStore HelperStore => Helper.App.Services.GetRequiredService<DapStore>();

    /// <summary>The report time the tests use: the hosts' clock, rounded down to the task's precision.</summary>
    public ulong Now => (ulong)Leader.Clock.GetUtcNow().ToUnixTimeSeconds() / TimePrecision * TimePrecision;

    /// <summary>One time-precision step holding <see cref="Now"/>.</summary>
    public DapInterval Batch => new(Now, TimePrecision);

    /// <param name="leaderOptions">More settings for the Leader (a registry, for the Candor client's tests).</param>
    /// <param name="registryFile">A registry file to write from the new task (its ids and keys) before the Leader starts.</param>
    /// <param name="bothOptions">More settings for both aggregators (timers the test drives itself).</param>
    public static async Task<DapAggregators> StartAsync(JsonNode vdaf, ulong minBatchSize, bool postgres = false, Action<CollectorOptions>? leaderOptions = null,
        (string Path, Func<DapTask, DapTask, string> Text)? registryFile = null, Action<CollectorOptions>? bothOptions = null)
    {
        var leaderPort = LoopbackClient.FreePort();
        var helperPort = LoopbackClient.FreePort();
        var (leaderTask, helperTask, collector) = DapTaskProvisioner.Create(
            new Uri($"http://127.0.0.1:{leaderPort}/"), new Uri($"http://127.0.0.1:{helperPort}/"), vdaf, TimePrecision, minBatchSize);
        if (registryFile is { } registry)
            await File.WriteAllTextAsync(registry.Path, registry.Text(leaderTask, helperTask));
        var directory = Path.Combine(Path.GetTempPath(), "candor-tests", "dap-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(directory);
        var owned = new List<IAsyncDisposable>();
        async Task<CollectorHost> Start(string role, DapTask task, int port)
        {
            var file = Path.Combine(directory, role + ".json");
            await File.WriteAllTextAsync(file, DapTaskFile.Write([task]));
            string? database = null;
            if (postgres)
            {
                var db = await TestDatabase.CreateAsync();
                owned.Add(db);
                database = db.ConnectionString;
            }
            return await CollectorHost.StartAsync(o =>
            {
                o.Urls = [$"http://127.0.0.1:{port}"];
                o.DapTasksFile = file;
                if (database is not null)
                    o.Database = database;
                bothOptions?.Invoke(o);
                if (role == "leader")
                    leaderOptions?.Invoke(o);
            }, directory: Path.Combine(directory, role));
        }
        var leader = await Start("leader", leaderTask, leaderPort);
        var helper = await Start("helper", helperTask, helperPort);
        var pair = new DapAggregators { Leader = leader, Helper = helper, LeaderTask = leaderTask, HelperTask = helperTask, Collector = collector };
        pair._owned.AddRange(owned);
        return pair;
    }

    public DapUploadClient Client(HttpClient http) =>
        new(http, LeaderTask.Id, LeaderTask.Leader, LeaderTask.Helper, LeaderTask.Vdaf, TimePrecision);

    public DapCollectorClient CollectorClient(HttpClient http) => new(http, Collector);

    public async ValueTask DisposeAsync()
    {
        await Leader.DisposeAsync();
        await Helper.DisposeAsync();
        foreach (var o in _owned)
            await o.DisposeAsync();
    }
}
