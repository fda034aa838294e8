using Microsoft.Data.Sqlite;

namespace Candor.AspNetCore.Storage.Sqlite;

/// <summary>One SQLite file (WAL, <c>synchronous=FULL</c>: a stored choice survives a crash).</summary>
public sealed class SqliteConsentPreferenceStore : IConsentPreferenceStore
{
    private readonly string _connectionString;

    /// <summary>The store in the file at <paramref name="path"/>, created by <see cref="MigrateAsync"/> when missing.</summary>
    public SqliteConsentPreferenceStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <inheritdoc/>
    public string Engine => "sqlite";

    /// <summary>The database file's full path.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        await using var c = await OpenAsync(cancellationToken);
        await ExecAsync(c, "PRAGMA journal_mode=WAL;", cancellationToken);
        await ExecAsync(c, """
            CREATE TABLE IF NOT EXISTS metrics_optout (
                user_id TEXT PRIMARY KEY,
                optout  INTEGER NULL   -- NULL: no explicit choice; 0: allowed; 1: opted out
            ) WITHOUT ROWID;
            """, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<bool?> GetAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var c = await OpenAsync(cancellationToken);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT optout FROM metrics_optout WHERE user_id = $u;";
        cmd.Parameters.AddWithValue("$u", userId);
        return await cmd.ExecuteScalarAsync(cancellationToken) is long v ? v != 0 : null;
    }

    /// <inheritdoc/>
    public async Task SetAsync(string userId, bool? optout, CancellationToken cancellationToken = default)
    {
        await using var c = await OpenAsync(cancellationToken);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO metrics_optout (user_id, optout) VALUES ($u, $o) ON CONFLICT (user_id) DO UPDATE SET optout = excluded.optout;";
        cmd.Parameters.AddWithValue("$u", userId);
        cmd.Parameters.AddWithValue("$o", optout is { } o ? (o ? 1 : 0) : DBNull.Value);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<bool> SetIfUnsetAsync(string userId, bool optout, CancellationToken cancellationToken = default)
    {
        await using var c = await OpenAsync(cancellationToken);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = """
            INSERT INTO metrics_optout (user_id, optout) VALUES ($u, $o)
            ON CONFLICT (user_id) DO UPDATE SET optout = excluded.optout WHERE metrics_optout.optout IS NULL;
            """;
        cmd.Parameters.AddWithValue("$u", userId);
        cmd.Parameters.AddWithValue("$o", optout ? 1 : 0);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        // Pooled connections keep the file open; release them so a test can delete its folder.
        using (var mine = new SqliteConnection(_connectionString))
            SqliteConnection.ClearPool(mine);
        return ValueTask.CompletedTask;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var c = new SqliteConnection(_connectionString);
        await c.OpenAsync(cancellationToken);
        await ExecAsync(c, "PRAGMA synchronous=FULL;", cancellationToken);
        return c;
    }

    private static async Task ExecAsync(SqliteConnection c, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
