using System.Net;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.Privacy;

/// <summary>Privacy invariants 4 and 5 as the database shows them.</summary>
public sealed class StoredRowsTests
{
    [Fact]
    public async Task A_raw_row_holds_app_metric_period_and_value_and_a_random_key_only()
    {
        await using var host = await CollectorHost.StartAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        Assert.Equal(["id", "app", "metric", "period", "value"], DatabaseContent.Columns(host.DatabasePath, "raw_reports"));
        Assert.Equal(["app", "metric", "period", "value", "reports", "total"], DatabaseContent.Columns(host.DatabasePath, "rollups"));
    }

    [Fact]
    public async Task Storage_order_does_not_reveal_which_reports_arrived_together()
    {
        await using var host = await CollectorHost.StartAsync();
        const int Batches = 20;
        for (int i = 0; i < Batches; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);

        // In arrival order the metrics would cycle app.launches, system.os, ... six at a time. In key
        // order, count how often a row is followed by the metric that followed it in its batch.
        string[] order = ["app.launches", "system.os", "feature.spellcheck", "install.age_days", "startup.ms", "candor.active"];
        var rows = await host.Store.ReadRawAsync(TestRegistries.App);
        Assert.Equal(Batches * order.Length, rows.Count);
        int followsBatchOrder = 0;
        for (int i = 1; i < rows.Count; i++)
            if (Array.IndexOf(order, rows[i].Metric) == (Array.IndexOf(order, rows[i - 1].Metric) + 1) % order.Length)
                followsBatchOrder++;
        // Random keys give about 1 in 6 (about 20 of 119); insertion order would give all 119.
        Assert.InRange(followsBatchOrder, 0, 60);

        using var c = new SqliteConnection($"Data Source={host.DatabasePath};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id FROM raw_reports;";
        using var r = cmd.ExecuteReader();
        var ids = new List<long>();
        while (r.Read()) ids.Add(r.GetInt64(0));
        // Keys spread over the whole 63-bit range, not 1, 2, 3...
        Assert.True(ids.Max() > 1L << 40, "keys look sequential");
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
        string[] forbidden = ["ip", "addr", "agent", "host", "client", "device", "install", "user", "time", "created", "received", "batch", "session"];
        foreach (var column in columns)
            foreach (var word in forbidden)
                Assert.False(column.Split('.')[1].Contains(word, StringComparison.OrdinalIgnoreCase), $"{column} looks like identifying or fine-grained metadata");
    }
}
