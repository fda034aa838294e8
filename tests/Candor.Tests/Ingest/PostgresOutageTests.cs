using System.Net;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Ingest;

/// <summary>When PostgreSQL goes away, clients are told to retry later and nothing half-done is acknowledged.</summary>
public sealed class PostgresOutageTests
{
    [PostgresFact]
    public async Task A_lost_database_answers_503_store_unavailable_with_retry_after()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var host = await CollectorHost.StartAsync(o => { o.Database = database.ConnectionString; o.RetryAfterSeconds = 11; });
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);

        await database.DisposeAsync(); // DROP DATABASE ... WITH (FORCE): every collector connection is cut
        var response = await host.PostAsync(TestRegistries.FullBatch, idempotencyKey: "after-the-outage");
        await Problem.AssertAsync(response, HttpStatusCode.ServiceUnavailable, "store-unavailable");
        Assert.Equal(TimeSpan.FromSeconds(11), response.Headers.RetryAfter!.Delta);
        Assert.Contains(host.Logs.Lines, l => l.Contains("Storing a group of 1 batches failed"));
    }
}
