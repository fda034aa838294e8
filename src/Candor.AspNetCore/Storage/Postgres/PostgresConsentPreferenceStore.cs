using Candor.Postgres;
using Npgsql;

namespace Candor.AspNetCore.Storage.Postgres;

/// <summary>The preference table in PostgreSQL, shared by every instance of the account service.</summary>
public sealed class PostgresConsentPreferenceStore : IConsentPreferenceStore
{
    private readonly NpgsqlDataSource _dataSource;

    /// <param name="database">A <c>postgres://</c> URL or an Npgsql connection string.</param>
    public PostgresConsentPreferenceStore(string database)
    {
        _dataSource = NpgsqlDataSource.Create(PostgresConnectionString.ToNpgsql(database));
    }

    /// <inheritdoc/>
    public string Engine => "postgres";

    /// <inheritdoc/>
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var c = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand("""
            CREATE TABLE IF NOT EXISTS metrics_optout (
                user_id TEXT PRIMARY KEY,
                optout  BOOLEAN NULL   -- NULL: no explicit choice
            );
            """, c);
        try
        {
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateObject)
        {
            // Two instances starting at once both ran CREATE TABLE IF NOT EXISTS; the other one won.
        }
    }

    /// <inheritdoc/>
    public async Task<bool?> GetAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT optout FROM metrics_optout WHERE user_id = $1;");
        cmd.Parameters.AddWithValue(userId);
        return await cmd.ExecuteScalarAsync(cancellationToken) is bool v ? v : null;
    }

    /// <inheritdoc/>
    public async Task SetAsync(string userId, bool? optout, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand(
            "INSERT INTO metrics_optout (user_id, optout) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET optout = excluded.optout;");
        cmd.Parameters.AddWithValue(userId);
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Boolean, Value = optout is { } o ? o : DBNull.Value });
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<bool> SetIfUnsetAsync(string userId, bool optout, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand("""
            INSERT INTO metrics_optout (user_id, optout) VALUES ($1, $2)
            ON CONFLICT (user_id) DO UPDATE SET optout = excluded.optout WHERE metrics_optout.optout IS NULL;
            """);
        cmd.Parameters.AddWithValue(userId);
        cmd.Parameters.AddWithValue(optout);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
