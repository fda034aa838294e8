using System.Net;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.Ingest;

public sealed class StoreFailureTests
{
    [Fact]
    public async Task A_store_that_cannot_commit_answers_503_with_retry_after_and_stores_nothing()
    {
        await using var host = await CollectorHost.StartAsync(o => o.RetryAfterSeconds = 11);
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);

        // Break the store under the running collector: its next commit fails midway (raw rows are
        // written before rollups, so this also proves the transaction rolls back what it wrote).
        using (var c = new SqliteConnection($"Data Source={host.DatabasePath};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "ALTER TABLE rollups RENAME TO rollups_away;";
            cmd.ExecuteNonQuery();
        }
        var response = await host.PostAsync(TestRegistries.FullBatch);
        await Problem.AssertAsync(response, HttpStatusCode.ServiceUnavailable, "store-unavailable");
        Assert.Equal(TimeSpan.FromSeconds(11), response.Headers.RetryAfter!.Delta);
        Assert.Equal(6, (await host.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports));
        Assert.Contains(host.Logs.Lines, l => l.Contains("Storing a group of 1 batches failed"));

        // Once the store is back, the client's retry is stored.
        using (var c = new SqliteConnection($"Data Source={host.DatabasePath};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "ALTER TABLE rollups_away RENAME TO rollups;";
            cmd.ExecuteNonQuery();
        }
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        Assert.Equal(12, (await host.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports));
    }
}
