using System.Net;
using System.Text;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Privacy;

/// <summary>
/// The collector-level privacy and all-or-nothing checks again with PostgreSQL behind the collector:
/// what the SQLite tests read from files, these read from the database's tables.
/// </summary>
public sealed class PostgresPrivacyTests
{
    private static Task<CollectorHost> StartAsync(TestDatabase database) =>
        CollectorHost.StartAsync(o => o.Database = database.ConnectionString);

    [PostgresFact]
    public async Task Canary_addresses_and_user_agents_appear_in_no_table()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var host = await StartAsync(database);
        string[] canaries = ["198.51.100.77", "CanaryAgent/9.9.9", "canary-referer.example", "canary-cookie-zq", "canary-idempotency-key"];
        for (int i = 0; i < 3; i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{TestRegistries.App}/reports")
            {
                Content = new StringContent(TestRegistries.FullBatch, Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", "198.51.100.77");
            request.Headers.TryAddWithoutValidation("User-Agent", "CanaryAgent/9.9.9");
            request.Headers.TryAddWithoutValidation("Referer", "https://canary-referer.example/");
            request.Headers.TryAddWithoutValidation("Cookie", "s=canary-cookie-zq");
            request.Headers.TryAddWithoutValidation("Idempotency-Key", "canary-idempotency-key-" + i);
            Assert.Equal(HttpStatusCode.Accepted, (await host.Client.SendAsync(request)).StatusCode);
        }
        var content = await PostgresContent.DumpAsync(database.ConnectionString);
        Assert.Contains("linux", content); // the dump does see stored reports
        foreach (var canary in canaries)
            Assert.DoesNotContain(canary, content);
        foreach (var canary in canaries)
            Assert.DoesNotContain(canary, string.Join("\n", host.Logs.Lines));
    }

    [PostgresFact]
    public async Task No_table_has_a_column_for_addresses_agents_or_fine_times()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var host = await StartAsync(database);
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        var columns = await PostgresContent.ColumnsAsync(database.ConnectionString);
        Assert.Contains("raw_reports.reports", columns);
        string[] forbidden = ["ip", "addr", "agent", "host", "client", "device", "install", "user", "time", "created", "received", "batch", "session", "id"];
        // The one exception, on purpose, as on SQLite (StoredRowsTests): the issuance budget's keyed, per-period client tag.
        // And the cell journal's row id, the fold's handle on a row while it lives (CellJournalAtRestTests).
        string[] exempt = ["issuance_budgets.client_tag", "cell_journal.id"];
        foreach (var column in columns.Except(exempt))
            foreach (var word in forbidden)
                Assert.False(column.Split('.')[1].Contains(word, StringComparison.OrdinalIgnoreCase), $"{column} looks like identifying or fine-grained metadata");
    }

    [PostgresFact]
    public async Task A_batch_with_one_bad_report_stores_nothing()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var host = await StartAsync(database);
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        var before = await PostgresContent.DumpAsync(database.ConnectionString);
        var bad = TestRegistries.FullBatch.Replace("\"linux\"", "\"beos\"");
        await Problem.AssertAsync(await host.PostAsync(bad, idempotencyKey: "bad-one"), HttpStatusCode.BadRequest, "invalid-reports");
        Assert.Equal(before, await PostgresContent.DumpAsync(database.ConnectionString));
    }

    [PostgresFact]
    public async Task Reports_sent_together_or_apart_leave_the_same_database_content()
    {
        await using var db1 = await TestDatabase.CreateAsync();
        await using var db2 = await TestDatabase.CreateAsync();
        await using var together = await StartAsync(db1);
        await using var apart = await StartAsync(db2);
        string[] r = [
            """{ "metric": "system.os", "value": "linux" }""", """{ "metric": "app.launches", "value": 5 }""",
            """{ "metric": "system.os", "value": "macos" }""", """{ "metric": "app.launches", "value": 20 }""" ];
        static string Batch(params string[] r) => $$"""{ "schema": 1, "period": "2026-W47", "reports": [ {{string.Join(",", r)}} ] }""";
        Assert.Equal(HttpStatusCode.Accepted, (await together.PostAsync(Batch(r[0], r[1]))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await together.PostAsync(Batch(r[2], r[3]))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await apart.PostAsync(Batch(r[3], r[0]))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await apart.PostAsync(Batch(r[1], r[2]))).StatusCode);
        Assert.Equal(await PostgresContent.DumpAsync(db1.ConnectionString), await PostgresContent.DumpAsync(db2.ConnectionString));
    }
}
