using Candor.Collector;
using Candor.Collector.Hosting;
using Candor.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Candor.Tests.Reliability;

/// <summary>
/// Start-up failures of the store name what is wrong: a full disk says "disk full" (SQLite itself
/// says "disk I/O error" when it cannot grow its shared-memory or log file), an unreachable or refusing
/// PostgreSQL is named as the database with its host and port, never its password.
/// </summary>
public sealed class StartupErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-startup-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private CollectorOptions Options(string database) => new()
    {
        Database = database,
        Urls = ["http://127.0.0.1:0"],
        OperatorUrls = ["http://127.0.0.1:0"],
        RegistryFiles = [Path.Combine(TestRegistries.WriteFiles(Path.Combine(_dir, "registries")), "test-v1.yaml")],
    };

    private async Task<string> StartFailureAsync(CollectorOptions options)
    {
        var error = await Assert.ThrowsAsync<CollectorConfigurationException>(async () =>
        {
            await using var app = await CollectorApp.BuildAsync(options, configureLogging: l => l.ClearProviders());
        });
        return error.Message;
    }

    [SmallFilesystemFact]
    public async Task A_full_disk_at_start_is_reported_as_disk_full_for_an_existing_and_a_new_database()
    {
        using var fs = SmallFilesystem.Mount(16);
        var existing = Path.Combine(fs.Path, "candor.db");
        await using (var app = await CollectorApp.BuildAsync(Options(existing), configureLogging: l => l.ClearProviders()))
        {
            await app.StartAsync();
            await app.StopAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        fs.Fill();

        foreach (var database in new[] { existing, Path.Combine(fs.Path, "new.db") })
        {
            var message = await StartFailureAsync(Options(database));
            Assert.StartsWith("disk full: ", message);
            Assert.Contains(database, message);
            Assert.DoesNotContain("disk I/O error", message);
        }
    }

    /// <summary>The control: an SQLite error on a disk with room is not called a full disk.</summary>
    [Fact]
    public async Task A_database_that_cannot_be_opened_on_a_disk_with_room_is_not_called_full()
    {
        var blocked = Path.Combine(_dir, "not-a-folder");
        File.WriteAllText(blocked, "a file where the database's folder should be");
        var error = await Record.ExceptionAsync(async () =>
        {
            await using var app = await CollectorApp.BuildAsync(Options(Path.Combine(blocked, "candor.db")), configureLogging: l => l.ClearProviders());
        });
        Assert.NotNull(error);
        Assert.DoesNotContain("disk full", error!.Message);
    }

    [Fact]
    public async Task An_unreachable_postgresql_is_named_as_the_database_by_host_and_port_without_its_password()
    {
        var message = await StartFailureAsync(Options("Host=127.0.0.1;Port=1;Database=candor;Username=candor;Password=hunter2-secret;Timeout=3"));
        Assert.StartsWith("cannot reach the database: PostgreSQL at 127.0.0.1:1/candor (", message);
        Assert.DoesNotContain("hunter2", message);
    }

    [Fact]
    public async Task Candor_serve_says_the_database_cannot_be_reached_in_one_line()
    {
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "serve", "--db", "postgres://candor:hunter2-secret@127.0.0.1:1/metrics?timeout=3",
            "--urls", "http://127.0.0.1:0");
        Assert.Equal(1, exit);
        Assert.StartsWith("candor serve: cannot reach the database: PostgreSQL at 127.0.0.1:1/metrics", stderr);
        Assert.DoesNotContain("hunter2", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [PostgresFact]
    public async Task A_postgresql_that_refuses_is_named_with_its_answer()
    {
        var server = new NpgsqlConnectionStringBuilder(TestPostgres.RequireServer()) { Database = "candor_no_such_database_" + Guid.NewGuid().ToString("n")[..8] };
        var message = await StartFailureAsync(Options(server.ConnectionString));
        Assert.StartsWith($"the database refused the collector: PostgreSQL at {server.Host}:{server.Port}/{server.Database} answered 3D000", message);
        if (!string.IsNullOrEmpty(server.Password))
            Assert.DoesNotContain(server.Password, message);
    }
}
