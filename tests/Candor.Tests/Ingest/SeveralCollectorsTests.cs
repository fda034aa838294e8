using System.Net;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Ingest;

/// <summary>
/// Scale-out: two collectors (two <see cref="Candor.Collector.Hosting.CollectorApp"/>s, two ports) on
/// one PostgreSQL database share the load, and whatever collector a batch or its retry reaches, it is
/// counted exactly once.
/// </summary>
public sealed class SeveralCollectorsTests : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private CollectorHost _a = null!, _b = null!;

    public async Task InitializeAsync()
    {
        if (TestPostgres.SkipReason is not null)
            return;
        _database = await TestDatabase.CreateAsync();
        // Started together: both migrate and save the registries at once.
        var a = CollectorHost.StartAsync(o => o.Database = _database.ConnectionString);
        var b = CollectorHost.StartAsync(o => o.Database = _database.ConnectionString);
        (_a, _b) = (await a, await b);
    }

    public async Task DisposeAsync()
    {
        if (_a is not null) await _a.DisposeAsync();
        if (_b is not null) await _b.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
    }

    private static string Batch(string os, int launches) =>
        $$"""{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "system.os", "value": "{{os}}" }, { "metric": "app.launches", "value": {{launches}} } ] }""";

    [PostgresFact]
    public async Task Load_split_across_two_collectors_with_retries_on_the_other_one_is_counted_exactly()
    {
        const int Tasks = 16, BatchesPerTask = 20;
        string[] oses = ["linux", "windows", "macos"];
        int[] launches = [1, 5, 10];
        var expectedOs = new long[oses.Length];
        var expectedLaunches = new long[launches.Length];
        for (int t = 0; t < Tasks; t++)
            for (int b = 0; b < BatchesPerTask; b++)
            {
                expectedOs[(t + b) % oses.Length]++;
                expectedLaunches[(t * 7 + b) % launches.Length]++;
            }

        await Task.WhenAll(Enumerable.Range(0, Tasks).Select(t => Task.Run(async () =>
        {
            for (int b = 0; b < BatchesPerTask; b++)
            {
                var body = Batch(oses[(t + b) % oses.Length], launches[(t * 7 + b) % launches.Length]);
                var key = $"t{t}-b{b}";
                var (first, other) = (t + b) % 2 == 0 ? (_a, _b) : (_b, _a);
                if (b % 3 == 0)
                {
                    // A client that timed out and retried on the other collector while the first was still working.
                    var both = await Task.WhenAll(first.PostAsync(body, idempotencyKey: key), other.PostAsync(body, idempotencyKey: key));
                    Assert.All(both, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
                    Assert.Equal(await both[0].Content.ReadAsStringAsync(), await both[1].Content.ReadAsStringAsync());
                }
                else
                {
                    var response = await first.PostAsync(body, idempotencyKey: key);
                    Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                    if (b % 3 == 1)
                    {
                        // A retry after a lost answer, landing on the other collector: the first answer again.
                        var retry = await other.PostAsync(body, idempotencyKey: key);
                        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
                        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
                        Assert.Equal(await response.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
                    }
                }
            }
        })));

        // Both collectors did part of the work.
        Assert.True(_a.App.Services.GetService(typeof(Candor.Collector.Ingest.IngestQueue)) is Candor.Collector.Ingest.IngestQueue qa && qa.BatchesCommitted > 0);
        Assert.True(_b.App.Services.GetService(typeof(Candor.Collector.Ingest.IngestQueue)) is Candor.Collector.Ingest.IngestQueue qb && qb.BatchesCommitted > 0);

        var cells = await _a.Store.ReadRollupsAsync(TestRegistries.App);
        for (int i = 0; i < oses.Length; i++)
            Assert.Equal(expectedOs[i], cells.Single(c => c.Metric == "system.os" && c.Value == oses[i]).Reports);
        for (int i = 0; i < launches.Length; i++)
            Assert.Equal(expectedLaunches[i], cells.Single(c => c.Metric == "app.launches" && c.Value == launches[i].ToString()).Reports);
        Assert.Equal(2L * Tasks * BatchesPerTask, (await _b.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports));
        Assert.Equal((long)Tasks * BatchesPerTask, await _database.ScalarAsync<long>("SELECT count(*) FROM idempotency_keys;"));
    }

    [PostgresFact]
    public async Task A_key_reused_for_another_batch_is_refused_by_the_other_collector_too()
    {
        Assert.Equal(HttpStatusCode.Accepted, (await _a.PostAsync(Batch("linux", 1), idempotencyKey: "shared")).StatusCode);
        await Problem.AssertAsync(await _b.PostAsync(Batch("macos", 1), idempotencyKey: "shared"), HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
        Assert.DoesNotContain(await _a.Store.ReadRawAsync(TestRegistries.App), r => r.Value == "macos");
    }
}
