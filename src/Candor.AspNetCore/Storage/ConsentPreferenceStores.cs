using Candor.AspNetCore.Storage.Postgres;
using Candor.AspNetCore.Storage.Sqlite;
using Candor.Postgres;

namespace Candor.AspNetCore.Storage;

/// <summary>
/// Picks the engine from one database value, the same way the collector's <c>--db</c> does: a
/// <c>postgres://</c> / <c>postgresql://</c> URL or a connection string naming <c>Host=</c> means
/// PostgreSQL; anything else is a SQLite file path.
/// </summary>
public static class ConsentPreferenceStores
{
    /// <summary>The store for <paramref name="database"/>; call <see cref="IConsentPreferenceStore.MigrateAsync"/> before use.</summary>
    public static IConsentPreferenceStore Open(string database) =>
        IsPostgres(database) ? new PostgresConsentPreferenceStore(database) : new SqliteConsentPreferenceStore(database);

    internal static bool IsPostgres(string database) => PostgresConnectionString.IsPostgres(database);
}
