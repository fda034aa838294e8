using Candor.Client;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.Reliability;

/// <summary>
/// The store unavailable for 60 seconds under load. The collector answers 503 with Retry-After, real
/// clients keep their batches and retry on their schedule, and once the store is back every report
/// arrives exactly once. The 60 seconds are the clients' and the collector's clocks, driven by the
/// test: what matters is how many retries meet the outage, not waiting for it in real time.
/// </summary>
public sealed class OutageTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task During_a_60_second_outage_clients_keep_their_batches_and_afterwards_everything_arrives_exactly_once()
    {
        string? db = null;
        await OutageScenario.RunAsync(output, o => { }, host =>
        {
            db = host.DatabasePath;
            Exec(db, "ALTER TABLE rollups RENAME TO rollups_offline;");
            return Task.CompletedTask;
        }, () =>
        {
            Exec(db!, "ALTER TABLE rollups_offline RENAME TO rollups;");
            return Task.CompletedTask;
        });
    }

    private static void Exec(string db, string sql)
    {
        using var c = new SqliteConnection($"Data Source={db};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}

/// <summary>The same 60-second outage on PostgreSQL (its own class, so both run in parallel).</summary>
public sealed class PostgresOutageTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [PostgresFact]
    public async Task On_postgresql_a_60_second_outage_loses_nothing_and_counts_everything_once()
    {
        await using var database = await TestDatabase.CreateAsync();
        await OutageScenario.RunAsync(output, o => o.Database = database.ConnectionString,
            _ => database.ExecAsync("ALTER TABLE rollups RENAME TO rollups_offline;"),
            () => database.ExecAsync("ALTER TABLE rollups_offline RENAME TO rollups;"));
    }
}

internal static class OutageScenario
{
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    public static async Task RunAsync(Xunit.Abstractions.ITestOutputHelper output, Action<Candor.Collector.CollectorOptions> engine,
        Func<CollectorHost, Task> breakStore, Func<Task> restoreStore)
    {
        await using var host = await CollectorHost.StartAsync(o => { o.RetryAfterSeconds = 5; engine(o); });
        var kits = Enumerable.Range(0, 20).Select(_ => new ClientTestKit()).ToList();
        var clients = kits.Select(k =>
        {
            var options = k.Options(host.BaseAddress);
            options.InitialBackoff = TimeSpan.FromSeconds(5);
            return CandorClient.Create(options);
        }).ToList();
        try
        {
            foreach (var c in clients)
            {
                c.GrantConsent();
                ClientTestKit.RecordSomething(c);
            }
            foreach (var k in kits) k.Clock.Set(NextMonday);

            // The outage: the store cannot commit (its rollup table is gone) for 60 seconds.
            await breakStore(host);
            var outage = TimeSpan.Zero;
            int attempts = 0, refusedAttempts = 0;
            for (; outage < TimeSpan.FromSeconds(60); outage += TimeSpan.FromSeconds(5))
            {
                for (int i = 0; i < clients.Count; i++)
                {
                    var cycle = await clients[i].UploadAsync();
                    if (cycle.Status != "not due") attempts++;
                    if (cycle.Status == "retrying later") refusedAttempts++;
                    Assert.Equal(0, cycle.Sent);
                    Assert.NotEmpty(clients[i].Pending()); // the batch is kept
                    kits[i].Clock.Advance(TimeSpan.FromSeconds(5)); // each client's time moves with the retries
                }
                host.Clock.Advance(TimeSpan.FromSeconds(5));
                Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, (await host.OperatorClient.GetAsync("/readyz")).StatusCode);
            }
            Assert.Equal(0, (await host.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports));
            Assert.True(refusedAttempts >= clients.Count, "the clients did not keep trying");
            // One error line for the whole outage, however many commits failed in it.
            var errors = host.Logs.Lines.Where(l => l.StartsWith("Error") || l.StartsWith("Critical")).ToList();
            Assert.True(errors.Count == 1 && errors[0].Contains("Storing a group of"), string.Join("\n", errors));

            // Recovery: the store is back; the clients' next attempts go through.
            await restoreStore();
            for (int round = 0; round < 20 && clients.Any(c => c.Pending().Count > 0); round++)
            {
                for (int i = 0; i < clients.Count; i++)
                {
                    kits[i].Clock.Advance(TimeSpan.FromHours(1)); // past any backoff
                    await clients[i].UploadAsync();
                }
            }
            Assert.All(clients, c => Assert.Empty(c.Pending()));
            var raw = await host.Store.ReadRawAsync(TestRegistries.App);
            // Each client sent one batch for 2026-W47: one system.os report each, exactly once.
            Assert.Equal(clients.Count, raw.Where(r => r.Metric == "system.os").Sum(r => r.Reports));
            Assert.Equal(clients.Count, raw.Where(r => r.Metric == "app.launches").Sum(r => r.Reports));
            Assert.Single(host.Logs.Lines, l => !l.StartsWith("  ") && l.Contains("The store is back:"));
            Assert.Equal(System.Net.HttpStatusCode.OK, (await host.OperatorClient.GetAsync("/readyz")).StatusCode);
            output.WriteLine($"outage {outage.TotalSeconds:F0} s (driven clocks): {attempts} upload attempts, {refusedAttempts} answered 503 and retried later; " +
                $"after recovery {clients.Count} batches stored once each (system.os reports: {raw.Where(r => r.Metric == "system.os").Sum(r => r.Reports)})");
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
            SqliteConnection.ClearAllPools();
            foreach (var k in kits) k.Dispose();
        }
    }

}
