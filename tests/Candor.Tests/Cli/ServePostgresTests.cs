using System.Net;
using Candor.Collector.Storage.Postgres;
using Candor.Postgres;
using Candor.Tests.Infrastructure;
using Npgsql;
using Candor.Tests.Operations;

namespace Candor.Tests.Cli;

/// <summary><c>candor serve --db</c> picks PostgreSQL from a connection string or a postgres:// URL.</summary>
public sealed class ServePostgresTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-serve-pg-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    [Theory]
    [InlineData("Host=db.example;Database=candor;Username=candor", true)]
    [InlineData("Server=db.example;Database=candor", true)]
    [InlineData("postgres://candor@db.example/candor", true)]
    [InlineData("postgresql://candor:secret@db.example:5433/candor?sslmode=require", true)]
    [InlineData("data/candor.db", false)]
    [InlineData("/var/lib/candor/candor.db", false)]
    [InlineData("odd=name.db", false)]
    public void The_db_value_names_the_engine(string db, bool postgres) => Assert.Equal(postgres, PostgresConnectionString.IsPostgres(db));

    [Fact]
    public void A_postgres_url_becomes_a_connection_string()
    {
        var b = new NpgsqlConnectionStringBuilder(PostgresConnectionString.ToNpgsql("postgresql://can%40dor:s3cret@db.example:5433/metrics?sslmode=require"));
        Assert.Equal(("db.example", 5433, "can@dor", "s3cret", "metrics", SslMode.Require), (b.Host, b.Port, b.Username, b.Password, b.Database, b.SslMode));
    }

    [Theory]
    [InlineData("postgres://user@/candor", "PostgreSQL URL is invalid")]
    [InlineData("postgres://db.example/candor?frobnicate=1", "unknown or invalid parameter 'frobnicate'")]
    [InlineData("Host=db.example;Frobnicate=1", "connection string is invalid")]
    public async Task Serve_refuses_an_unreadable_postgres_setting_with_a_one_line_message(string db, string message)
    {
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "serve", "--db", db, "--urls", $"http://127.0.0.1:{LoopbackClient.FreePort()}");
        Assert.Equal(1, exit);
        Assert.Contains(message, stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task Serve_refuses_an_unreachable_postgres_with_a_one_line_message()
    {
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "serve", "--db", "Host=127.0.0.1;Port=1;Database=candor;Timeout=3",
            "--urls", $"http://127.0.0.1:{LoopbackClient.FreePort()}");
        Assert.Equal(1, exit);
        Assert.StartsWith("candor serve: ", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [PostgresFact]
    public async Task Serve_with_a_postgres_url_stores_reports_in_that_database()
    {
        await using var database = await TestDatabase.CreateAsync();
        var b = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var url = $"postgres://{b.Username}@{b.Host}:{b.Port}/{b.Database}";
        int port = LoopbackClient.FreePort();
        using (var serve = CandorProcess.Start(_dir, "serve", "--db", url, "--urls", $"http://127.0.0.1:{port}"))
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await serve.WaitUntilHealthyAsync(http);
            var body = $$"""{ "schema": 3, "period": "{{DateTime.UtcNow:yyyy-MM-dd}}", "reports": [ { "metric": "candor.active", "value": true } ] }""";
            var response = await http.PostAsync("/v1/apps/org.example.editor/reports", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Contains($"PostgreSQL: {b.Host}:{b.Port}/{b.Database}", serve.Stdout);
        }
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT sum(reports)::bigint FROM raw_reports WHERE app = 'org.example.editor';"));
        Assert.False(File.Exists(Path.Combine(_dir, "data", "candor.db")), "no SQLite file is created when serving PostgreSQL");
        Assert.True(File.Exists(Path.Combine(_dir, "data", "log-key.pem")), "the transparency log's key is kept in data/ by default");
    }


}
