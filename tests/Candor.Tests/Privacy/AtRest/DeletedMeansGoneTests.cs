using System.Net;
using System.Text;
using Candor.Collector.Ingest;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Privacy.AtRest;

/// <summary>
/// Privacy invariant 8, attacked: after the janitor forgets idempotency keys and retention purges raw
/// rows, scan the raw database files (SQLite: the file, its WAL and shm; PostgreSQL: every file of the
/// database) for the deleted bytes. Each test first finds the bytes while they are live, so a scan that
/// cannot see them would fail rather than pass.
/// </summary>
public sealed class DeletedMeansGoneTests
{
    private const string Histogram = """{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "startup.ms", "value": { "0": 7, "1000": 5, "2500": 3 } } ] }""";

    [Fact]
    public Task Forgotten_idempotency_keys_are_in_no_sqlite_file() => ForgottenKeysAsync(null);

    [PostgresFact]
    public async Task Forgotten_idempotency_keys_are_in_no_postgres_file()
    {
        await using var database = await TestDatabase.CreateAsync();
        await ForgottenKeysAsync(database.ConnectionString);
    }

    [Fact]
    public Task Purged_raw_rows_are_in_no_sqlite_file() => PurgedRowsAsync(null);

    [PostgresFact]
    public async Task Purged_raw_rows_are_in_no_postgres_file()
    {
        await using var database = await TestDatabase.CreateAsync();
        await PurgedRowsAsync(database.ConnectionString);
    }

    private static async Task ForgottenKeysAsync(string? postgres)
    {
        await using var host = await CollectorHost.StartAsync(o => { if (postgres is not null) o.Database = postgres; });
        var keys = Enumerable.Range(0, 40).Select(_ => Guid.NewGuid().ToString("n")).ToList();
        foreach (var key in keys)
            Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch, idempotencyKey: key)).StatusCode);
        var ids = keys.Select(k => IdempotencyFingerprint.KeyId(TestRegistries.App, k)).ToList();
        var before = await ReadAsync(host, postgres);
        Assert.All(ids, id => Assert.True(RawFiles.Contains(before, id), "a live key must be found by the scan"));

        // Two weeks later (IdempotencyDays = 14), the janitor's purge forgets them.
        Assert.Equal(keys.Count, await host.Store.PurgeIdempotencyKeysAsync(DateOnly.FromDateTime(TestRegistries.Now.UtcDateTime).AddDays(1)));

        var after = await ReadAsync(host, postgres);
        Assert.All(ids, id => Assert.False(RawFiles.Contains(after, id), "a forgotten key is still in the database files"));
    }

    private static async Task PurgedRowsAsync(string? postgres)
    {
        await using var host = await CollectorHost.StartAsync(o => { if (postgres is not null) o.Database = postgres; });
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(Histogram)).StatusCode);
        // A histogram's raw row keeps the whole histogram, which no rollup holds (rollups are per bucket),
        // so these bytes are the purged row and nothing else.
        var row = (await host.Store.ReadRawAsync(TestRegistries.App)).Single(r => r.Metric == "startup.ms");
        var needle = Encoding.UTF8.GetBytes(row.Value);
        Assert.True(RawFiles.Contains(await ReadAsync(host, postgres), needle), "the live row must be found by the scan");

        var purge = await host.Store.PurgeRawAsync(TestRegistries.App, new DateOnly(2027, 6, 1), new DateOnly(2027, 6, 1));
        Assert.Equal(1, purge.RawRows);

        Assert.False(RawFiles.Contains(await ReadAsync(host, postgres), needle), "a purged raw row is still in the database files");
        Assert.NotEmpty(await host.Store.ReadRollupsAsync(TestRegistries.App, "startup.ms")); // rollups stay
    }

    private static async Task<byte[]> ReadAsync(CollectorHost host, string? postgres) =>
        postgres is null ? RawFiles.Sqlite(host.DatabasePath) : await RawFiles.PostgresDatabaseAsync(postgres);
}
