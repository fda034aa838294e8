using Candor.Client.LocalStore;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.Client;

/// <summary>
/// The client store's own migrations (<see cref="ClientStoreMigrations"/>): a store an older client left
/// (no <c>key_history</c>, <c>user_version</c> 0) is upgraded in place with nothing lost, and a store a
/// newer client wrote is opened as it is.
/// </summary>
public sealed class StoreMigrationTests : IDisposable
{
    private readonly ClientTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    private SqliteConnection Raw()
    {
        var c = new SqliteConnection($"Data Source={Path.Combine(_kit.DataDirectory, ClientStore.FileName)};Pooling=False");
        c.Open();
        return c;
    }

    private static object? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    [Fact]
    public void A_store_an_older_client_left_gets_the_key_history_table_and_keeps_what_it_held()
    {
        using (var client = _kit.Create())
        {
            client.GrantConsent();
            client.Counter("app.launches").Increment();
            client.Flush();
        }
        using (var c = Raw())
        {
            Assert.Equal((long)ClientStoreMigrations.Latest, Scalar(c, "PRAGMA user_version;"));
            // As every client before the migrations left it.
            Scalar(c, "DROP TABLE key_history; PRAGMA user_version = 0;");
            Assert.Equal(0L, Scalar(c, "SELECT count(*) FROM sqlite_master WHERE name = 'key_history';"));
        }

        using (var client = _kit.Create())
            Assert.Contains(client.Show(), i => i.Metric == "app.launches");

        using (var c = Raw())
        {
            Assert.Equal((long)ClientStoreMigrations.Latest, Scalar(c, "PRAGMA user_version;"));
            Assert.Equal(1L, Scalar(c, "SELECT count(*) FROM sqlite_master WHERE name = 'key_history';"));
        }
    }

    [Fact]
    public void A_store_a_newer_client_wrote_is_opened_as_it_is()
    {
        using (var client = _kit.Create())
            client.GrantConsent();
        using (var c = Raw())
            Scalar(c, $"PRAGMA user_version = {ClientStoreMigrations.Latest + 5};");
        using (var client = _kit.Create())
        {
            client.Counter("app.launches").Increment();
            Assert.Contains(client.Show(), i => i.Metric == "app.launches");
        }
        using (var c = Raw())
            Assert.Equal((long)ClientStoreMigrations.Latest + 5, Scalar(c, "PRAGMA user_version;"));
    }
}
