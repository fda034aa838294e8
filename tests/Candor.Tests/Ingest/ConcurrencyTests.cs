using System.Net;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Ingest;

public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Concurrent_posts_from_many_tasks_are_all_counted_exactly()
    {
        await using var host = await CollectorHost.StartAsync();
        const int Tasks = 32, BatchesPerTask = 25;
        string[] oses = ["linux", "windows", "macos"];
        var expected = new int[oses.Length];
        for (int t = 0; t < Tasks; t++)
            for (int b = 0; b < BatchesPerTask; b++)
                expected[(t + b) % oses.Length]++;

        await Task.WhenAll(Enumerable.Range(0, Tasks).Select(t => Task.Run(async () =>
        {
            for (int b = 0; b < BatchesPerTask; b++)
            {
                var os = oses[(t + b) % oses.Length];
                var body = $$"""{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "system.os", "value": "{{os}}" }, { "metric": "app.launches", "value": 5 } ] }""";
                var response = await host.PostAsync(body, idempotencyKey: $"t{t}-b{b}");
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            }
        })));

        var cells = await host.Store.ReadRollupsAsync(TestRegistries.App);
        for (int i = 0; i < oses.Length; i++)
            Assert.Equal(expected[i], cells.Single(c => c.Metric == "system.os" && c.Value == oses[i]).Reports);
        Assert.Equal(Tasks * BatchesPerTask, cells.Single(c => c.Metric == "app.launches").Reports);
        Assert.Equal(2 * Tasks * BatchesPerTask, (await host.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports));
    }

    [Fact]
    public Task Under_concurrent_load_groups_journal_and_once_all_are_answered_every_report_is_in_the_tables_on_sqlite() => JournalUnderLoadAsync(null);

    [PostgresFact]
    public async Task Under_concurrent_load_groups_journal_and_once_all_are_answered_every_report_is_in_the_tables_on_postgres()
    {
        await using var database = await TestDatabase.CreateAsync();
        await JournalUnderLoadAsync(database.ConnectionString);
    }

    /// <summary>
    /// The cell journal seen from HTTP: with batches arriving while groups are in flight, some groups append a
    /// journal row instead of their cells; the last group to find nothing waiting folds the journal before it is
    /// answered, so a client that waited for every answer reads every report, and reads each once.
    /// </summary>
    private static async Task JournalUnderLoadAsync(string? postgres)
    {
        await using var host = await CollectorHost.StartAsync(o => { if (postgres is not null) o.Database = postgres; });
        const int Tasks = 32, BatchesPerTask = 20;
        await Task.WhenAll(Enumerable.Range(0, Tasks).Select(t => Task.Run(async () =>
        {
            for (int b = 0; b < BatchesPerTask; b++)
            {
                var os = new[] { "linux", "windows", "macos" }[(t + b) % 3];
                var body = $$"""{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "system.os", "value": "{{os}}" } ] }""";
                Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(body)).StatusCode);
            }
        })));

        Assert.True(host.Store.Journal.Appended > 0, "no group journaled: the load did not overlap groups");
        Assert.Equal(Tasks * BatchesPerTask, (await host.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports));
        Assert.Equal(Tasks * BatchesPerTask, (await host.Store.ReadRollupsAsync(TestRegistries.App, "system.os")).Sum(c => c.Reports));
        Assert.Equal(0, host.Store.Journal.Rows);
    }

    [Fact]
    public async Task When_ingest_goes_quiet_the_journal_is_folded_within_CellJournalMilliseconds()
    {
        await using var host = await CollectorHost.StartAsync(o => o.CellJournalMilliseconds = 50);
        await Task.WhenAll(Enumerable.Range(0, 32).Select(t => Task.Run(async () =>
        {
            for (int b = 0; b < 10; b++)
                Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        })));
        Assert.True(host.Store.Journal.Appended > 0, "no group journaled: the load did not overlap groups");
        // Nothing reads (a read would fold): the quiet fold alone must empty the journal.
        for (int i = 0; i < 100 && host.Store.Journal.Rows > 0; i++)
            await Task.Delay(50);
        Assert.Equal(0, host.Store.Journal.Rows);
        using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={host.DatabasePath};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var count = c.CreateCommand();
        count.CommandText = "SELECT count(*) FROM cell_journal;";
        Assert.Equal(0L, (long)count.ExecuteScalar()!);
    }

    [Fact]
    public async Task A_journal_row_that_cannot_be_read_is_logged_by_id_and_no_row_is_dropped()
    {
        await using var host = await CollectorHost.StartAsync(o => { o.CellJournalMilliseconds = 100; o.CellJournalRows = 100_000; });
        long bad;
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={host.DatabasePath};Pooling=False"))
        {
            c.Open();
            using var insert = c.CreateCommand();
            insert.CommandText = "INSERT INTO cell_journal (delta) VALUES (x'0102FF') RETURNING id;";
            bad = (long)insert.ExecuteScalar()!;
        }
        // The collector has not counted that row: it journals under this load, then folds (in a group whose fold is
        // due, behind a savepoint, or the quiet fold): the fold fails by the row's id, drops nothing, and ingest goes on.
        await Task.WhenAll(Enumerable.Range(0, 32).Select(t => Task.Run(async () =>
        {
            for (int b = 0; b < 10; b++)
                Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        })));
        Assert.True(host.Store.Journal.Appended > 0, "no group journaled: the load did not overlap groups");
        for (int i = 0; i < 100 && !host.Logs.Lines.Any(l => l.Contains($"cell_journal row {bad} cannot be read")); i++)
            await Task.Delay(50);
        Assert.Contains(host.Logs.Lines, l => l.Contains($"cell_journal row {bad} cannot be read"));
        using var read = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={host.DatabasePath};Mode=ReadOnly;Pooling=False");
        read.Open();
        using var count = read.CreateCommand();
        count.CommandText = "SELECT count(*) FROM cell_journal;";
        Assert.Equal(host.Store.Journal.Appended + 1, (long)count.ExecuteScalar()!);
    }

    [Fact]
    public async Task A_full_ingest_queue_answers_503_with_retry_after()
    {
        // A queue of one batch and a store held busy: the second concurrent batch cannot wait.
        await using var host = await CollectorHost.StartAsync(o => { o.IngestQueueCapacity = 1; o.MaxGroupSize = 1; o.RetryAfterSeconds = 7; });
        var responses = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => host.PostAsync(TestRegistries.FullBatch)));
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        int accepted = responses.Count(r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.Equal(64, accepted + refused.Count);
        Assert.NotEmpty(refused);
        await Problem.AssertAsync(refused[0], HttpStatusCode.ServiceUnavailable, "overloaded");
        Assert.Equal(TimeSpan.FromSeconds(7), refused[0].Headers.RetryAfter!.Delta);
        // Exactly the acknowledged batches were stored.
        Assert.Equal(accepted * 6, (await host.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports));
    }
}
