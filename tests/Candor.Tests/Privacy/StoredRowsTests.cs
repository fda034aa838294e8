using System.Net;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.Privacy;

/// <summary>Privacy invariants 4 and 5 as the database shows them.</summary>
public sealed class StoredRowsTests
{
    [Fact]
    public async Task A_raw_row_holds_app_metric_period_value_and_a_count_only()
    {
        await using var host = await CollectorHost.StartAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        Assert.Equal(["app", "metric", "period", "value", "reports"], DatabaseContent.Columns(host.DatabasePath, "raw_reports"));
        Assert.Equal(["app", "metric", "period", "value", "reports", "total"], DatabaseContent.Columns(host.DatabasePath, "rollups"));
    }

    [Fact]
    public async Task No_table_keeps_rows_in_arrival_order()
    {
        await using var host = await CollectorHost.StartAsync();
        using var c = new SqliteConnection($"Data Source={host.DatabasePath};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        // A rowid table stores rows in insertion order; every Candor table is keyed by its content instead.
        cmd.CommandText = "SELECT name, sql FROM sqlite_master WHERE type = 'table';";
        using var r = cmd.ExecuteReader();
        int tables = 0;
        while (r.Read())
        {
            // The one exception, on purpose: the cell journal's rows are kept in arrival order under load only until
            // their fold deletes them (each is a whole group, worse than its order, so its window is what is bounded
            // and attacked: CellJournalAtRestTests, docs/privacy.md). It is empty whenever ingest is quiet.
            if (r.GetString(0) == "cell_journal")
                continue;
            tables++;
            Assert.True(r.GetString(1).Contains("WITHOUT ROWID", StringComparison.OrdinalIgnoreCase), $"{r.GetString(0)} is a rowid table");
        }
        // raw_reports, rollups, idempotency_keys, registries, purge_log, releases, spent_tokens, issuance_budgets, and the
        // transparency log's commitments, log_pending, log_state, log_tiles, log_bundles, log_leaves, log_checkpoints, and
        // DAP's dap_reports, dap_report_ids, dap_batch_shares, dap_rejections, dap_aggregation_jobs, dap_collected_batches,
        // dap_collection_jobs
        Assert.Equal(22, tables);
    }

    [Fact]
    public async Task Reports_sent_together_or_apart_leave_the_same_database_content()
    {
        // Two collectors receive the same reports: one as one batch per install, the other split and
        // interleaved differently. If their stored content is equal, nothing stored links a submission.
        await using var together = await CollectorHost.StartAsync();
        await using var apart = await CollectorHost.StartAsync();
        string[] reports = [
            """{ "metric": "system.os", "value": "linux" }""", """{ "metric": "app.launches", "value": 5 }""",
            """{ "metric": "system.os", "value": "macos" }""", """{ "metric": "app.launches", "value": 20 }""" ];
        static string Batch(params string[] r) => $$"""{ "schema": 1, "period": "2026-W47", "reports": [ {{string.Join(",", r)}} ] }""";

        // Install A: linux, 5 launches. Install B: macos, 20 launches.
        Assert.Equal(HttpStatusCode.Accepted, (await together.PostAsync(Batch(reports[0], reports[1]))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await together.PostAsync(Batch(reports[2], reports[3]))).StatusCode);
        // The other pairing: linux with 20 launches, macos with 5.
        Assert.Equal(HttpStatusCode.Accepted, (await apart.PostAsync(Batch(reports[3], reports[0]))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await apart.PostAsync(Batch(reports[1], reports[2]))).StatusCode);

        Assert.Equal(DatabaseContent.Dump(together.DatabasePath).Replace(together.Directory, ""),
                     DatabaseContent.Dump(apart.DatabasePath).Replace(apart.Directory, ""));
    }

    [Fact]
    public async Task No_table_has_a_column_for_addresses_agents_or_fine_times()
    {
        await using var host = await CollectorHost.StartAsync();
        using var c = new SqliteConnection($"Data Source={host.DatabasePath};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table';";
        using var r = cmd.ExecuteReader();
        var columns = new List<string>();
        while (r.Read()) columns.Add($"{r.GetString(0)}.{r.GetString(1)}");
        Assert.NotEmpty(columns);
        string[] forbidden = ["ip", "addr", "agent", "host", "client", "device", "install", "user", "time", "created", "received", "batch", "session", "id"];
        // The one exception, on purpose: the issuance budget's count per client and period (budgets must survive
        // restarts and be shared by collectors). It holds HMAC-SHA-256 of the address's /64 under a per-period key kept
        // outside the database, and its rows are deleted when the period turns (IssuanceBudgetTests, docs/privacy.md).
        // And the cell journal's row id, the fold's handle on a row while it lives (see No_table_keeps_rows_in_arrival_order).
        string[] exempt = ["issuance_budgets.client_tag", "cell_journal.id"];
        foreach (var column in columns.Except(exempt))
            foreach (var word in forbidden)
                Assert.False(column.Split('.')[1].Contains(word, StringComparison.OrdinalIgnoreCase), $"{column} looks like identifying or fine-grained metadata");
    }
}
