using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Candor.Collector.Storage;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;
using Candor.Tests.Operations;

namespace Candor.Tests.Reliability;

/// <summary>
/// Issue 8, part 2 on SQLite: <c>kill -9</c> of a real <c>candor serve</c> under concurrent load.
/// Every batch acknowledged with 202 before the crash must be stored after the restart, and once the
/// clients have retried the rest with the same Idempotency-Keys, every batch is stored exactly once.
/// </summary>
public sealed class CrashTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-crash-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    /// <summary>32 clients on one loopback address: the per-address limit would (rightly) slow them down.</summary>
    private static readonly Dictionary<string, string> NoRateLimit = new() { ["CANDOR_RateLimitPerAddressPerSecond"] = "0" };


    private const string StoredSql = "SELECT coalesce(sum(reports), 0) FROM raw_reports WHERE metric = 'system.os';";

    /// <summary>
    /// Reports stored: the raw rows, plus those a killed collector left in the cell journal (committed and synced with
    /// their group, folded at the next start), read without writing anything.
    /// </summary>
    private static long WithJournal(long raw, IEnumerable<(long Id, byte[] Delta)> journal)
    {
        var sum = new GroupDelta();
        var names = new CellNames();
        foreach (var (id, delta) in journal)
            CellJournal.AddTo(sum, id, delta, names);
        return raw + sum.Raw.Where(c => c.Key.Metric == "system.os").Sum(c => c.Value);
    }

    [Fact]
    public async Task Acknowledged_batches_survive_kill_9_and_retries_are_counted_exactly_once()
    {
        var db = Path.Combine(_dir, "crash.db");
        await RunAsync(db, () =>
        {
            using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = StoredSql;
            long raw = (long)cmd.ExecuteScalar()!;
            cmd.CommandText = "SELECT id, delta FROM cell_journal;";
            var journal = new List<(long, byte[])>();
            using (var r = cmd.ExecuteReader())
                while (r.Read())
                    journal.Add((r.GetInt64(0), (byte[])r.GetValue(1)));
            return Task.FromResult(WithJournal(raw, journal));
        });
    }

    [PostgresFact]
    public async Task On_postgresql_acknowledged_batches_survive_kill_9_and_retries_are_counted_exactly_once()
    {
        await using var database = await TestDatabase.CreateAsync();
        await RunAsync(database.ConnectionString, async () =>
        {
            long raw = Convert.ToInt64(await database.ScalarAsync<object>(StoredSql));
            await using var c = new NpgsqlConnection(database.ConnectionString);
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT id, delta FROM cell_journal;", c);
            var journal = new List<(long, byte[])>();
            await using (var r = await cmd.ExecuteReaderAsync())
                while (await r.ReadAsync())
                    journal.Add((r.GetInt64(0), (byte[])r.GetValue(1)));
            return WithJournal(raw, journal);
        });
    }

    private async Task RunAsync(string db, Func<Task<long>> storedReports)
    {
        var registry = TestRegistries.WriteFiles(Path.Combine(_dir, "registries"));
        // A real clock in a real process: report for the current ISO week.
        var week = Candor.Protocol.PeriodKey.WeekOf(DateOnly.FromDateTime(DateTime.UtcNow)).ToString();
        string Body(int i) => $$"""{ "schema": 1, "period": "{{week}}", "reports": [ { "metric": "system.os", "value": "{{(i % 2 == 0 ? "linux" : "windows")}}" } ] }""";
        string[] serveArgs(int port) => ["serve", "--db", db, "--registry", Path.Combine(registry, "test-v1.yaml"), "--urls", $"http://127.0.0.1:{port}"];

        const int Batches = 3000;
        var acknowledged = new ConcurrentDictionary<int, bool>();
        int port1 = LoopbackClient.FreePort();
        using (var serve = CandorProcess.Start(_dir, NoRateLimit, serveArgs(port1)))
        using (var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port1}"), Timeout = TimeSpan.FromSeconds(10) })
        {
            await serve.WaitUntilHealthyAsync(http);
            int next = -1;
            using var stop = new CancellationTokenSource();
            var load = Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
            {
                int i;
                while (!stop.IsCancellationRequested && (i = Interlocked.Increment(ref next)) < Batches)
                {
                    try
                    {
                        using var response = await Post(http, Body(i), $"crash-{i}", stop.Token);
                        if (response.StatusCode == HttpStatusCode.Accepted)
                            acknowledged[i] = true;
                    }
                    catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException) { }
                }
            })).ToList();

            // Let the load run, then kill -9 while requests are in flight.
            for (int waited = 0; acknowledged.Count < 400 && waited < 600; waited++)
                await Task.Delay(50);
            serve.Kill();
            stop.CancelAfter(TimeSpan.FromSeconds(2));
            await Task.WhenAll(load);
        }
        int ackedBeforeCrash = acknowledged.Count;
        Assert.True(ackedBeforeCrash >= 100, $"the load had not started: {ackedBeforeCrash} acknowledged");

        // After the crash, before any retry: everything acknowledged is there (it may hold a few batches
        // whose commit landed but whose 202 never reached the client; those are why retries need keys).
        long afterCrash = await storedReports();
        Assert.True(afterCrash >= ackedBeforeCrash, $"acknowledged {ackedBeforeCrash}, stored {afterCrash}: acknowledged reports were lost");

        int port2 = LoopbackClient.FreePort();
        using (var serve = CandorProcess.Start(_dir, NoRateLimit, serveArgs(port2)))
        using (var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port2}") })
        {
            await serve.WaitUntilHealthyAsync(http);
            // Clients retry every batch they did not see acknowledged, with the same key; a few acknowledged ones too.
            // Many clients at once, as after a real outage: the retries share group commits instead of
            // paying one fsync each (one at a time, this phase was most of the test's half minute).
            int replayed = 0;
            var retries = Enumerable.Range(0, Batches).Where(i => !acknowledged.ContainsKey(i) || i % 50 == 0);
            await Parallel.ForEachAsync(retries, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, cancellationToken) =>
            {
                using var response = await Post(http, Body(i), $"crash-{i}", cancellationToken);
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                if (response.Headers.Contains("Idempotent-Replayed")) Interlocked.Increment(ref replayed);
            });
            Assert.True(replayed > 0, "no retry was recognised as a replay");
            output.WriteLine($"batches {Batches}; acknowledged before kill -9: {ackedBeforeCrash}; stored after restart: {afterCrash} " +
                $"(committed but unacknowledged: {afterCrash - ackedBeforeCrash}); retries recognised as replays: {replayed}");
        }
        long final = await storedReports();
        output.WriteLine($"stored after retries: {final}; lost: {Math.Max(0, Batches - final)}; duplicates: {Math.Max(0, final - Batches)}");
        Assert.Equal(Batches, final);
    }

    private static Task<HttpResponseMessage> Post(HttpClient http, string body, string key, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/apps/org.example.test/reports") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", key);
        return http.SendAsync(request, cancellationToken);
    }
}
