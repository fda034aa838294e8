using System.Net;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.Operations;

/// <summary><c>/healthz</c> (liveness) and <c>/readyz</c> (readiness: the store works) on real Kestrel and real stores.</summary>
public sealed class HealthTests
{
    [Fact]
    public async Task Healthz_and_readyz_answer_ok_when_the_store_works()
    {
        await using var host = await CollectorHost.StartAsync();
        Assert.Equal("ok\n", await host.Client.GetStringAsync("/healthz"));
        Assert.Equal("ok\n", await host.OperatorClient.GetStringAsync("/readyz"));
    }

    [Fact]
    public async Task Readyz_answers_503_while_the_store_is_away_and_ok_once_it_is_back_while_healthz_stays_ok()
    {
        await using var host = await CollectorHost.StartAsync();
        StoreBreaker.RenameRollups(host.DatabasePath, "rollups", "rollups_away");

        var ready = await host.OperatorClient.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var text = await ready.Content.ReadAsStringAsync();
        Assert.Equal("unavailable: store: the store does not answer\n", text);
        Assert.DoesNotContain("rollups", text); // no database error text in a public answer
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/healthz")).StatusCode);

        StoreBreaker.RenameRollups(host.DatabasePath, "rollups_away", "rollups");
        Assert.Equal(HttpStatusCode.OK, (await host.OperatorClient.GetAsync("/readyz")).StatusCode);
    }

    /// <summary>
    /// A store that reads but cannot write (a full disk): the read probe passes, so readiness goes by the
    /// failing commits, and lapses RetryAfterSeconds after the last one, so that traffic can find out
    /// whether the store is back.
    /// </summary>
    [Fact]
    public async Task Readyz_answers_503_after_a_failed_commit_until_retry_after_has_passed()
    {
        await using var host = await CollectorHost.StartAsync(o => o.RetryAfterSeconds = 30);
        Exec(host.DatabasePath, "CREATE TRIGGER disk_full BEFORE INSERT ON rollups BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;");
        Assert.Equal(HttpStatusCode.OK, (await host.OperatorClient.GetAsync("/readyz")).StatusCode);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        var ready = await host.OperatorClient.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("unavailable: store: the store's last commit failed\n", await ready.Content.ReadAsStringAsync());

        host.Clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await host.OperatorClient.GetAsync("/readyz")).StatusCode);
        host.Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(HttpStatusCode.OK, (await host.OperatorClient.GetAsync("/readyz")).StatusCode);

        Exec(host.DatabasePath, "DROP TRIGGER disk_full;");
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.OperatorClient.GetAsync("/readyz")).StatusCode);
    }

    [PostgresFact]
    public async Task On_postgresql_readyz_answers_503_once_the_database_is_gone()
    {
        var database = await TestDatabase.CreateAsync();
        await using var host = await CollectorHost.StartAsync(o => o.Database = database.ConnectionString);
        Assert.Equal(HttpStatusCode.OK, (await host.OperatorClient.GetAsync("/readyz")).StatusCode);

        await database.DisposeAsync(); // DROP DATABASE ... WITH (FORCE): every collector connection is cut
        var ready = await host.OperatorClient.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.DoesNotContain("Host", await ready.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/healthz")).StatusCode);
    }

    private static void Exec(string database, string sql)
    {
        using var c = new SqliteConnection($"Data Source={database};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
