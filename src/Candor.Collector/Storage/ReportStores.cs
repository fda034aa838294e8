using Candor.Collector.Storage.Postgres;
using Candor.Collector.Storage.Sqlite;
using Candor.Postgres;

namespace Candor.Collector.Storage;

/// <summary>
/// Picks the engine from the one <c>--db</c> value, as GoatCounter does: a PostgreSQL connection string
/// (<c>Host=...</c>) or a <c>postgres://</c> / <c>postgresql://</c> URL means PostgreSQL; anything
/// else is a SQLite file path.
/// </summary>
internal static class ReportStores
{
    /// <exception cref="FormatException">A PostgreSQL connection string or URL that cannot be read.</exception>
    public static IReportStore Open(string database) =>
        PostgresConnectionString.IsPostgres(database) ? new PostgresReportStore(database) : new SqliteReportStore(database);

    /// <summary>The schema version the store's database is at (0: empty) and the newest this Candor knows.</summary>
    public static async Task<(int Current, int Known)> SchemaVersionsAsync(IReportStore store, CancellationToken cancellationToken = default) => store switch
    {
        SqliteReportStore s => (await s.ReadVersionAsync(cancellationToken), SqliteReportStore.SchemaVersion),
        PostgresReportStore p => (await p.ReadVersionAsync(cancellationToken), PostgresReportStore.SchemaVersion),
        _ => throw new NotSupportedException(store.Engine),
    };

    /// <summary>What the store is, without credentials: "SQLite: /path" or "PostgreSQL: host:port/db".</summary>
    public static string Describe(IReportStore store) => store switch
    {
        SqliteReportStore s => $"SQLite: {s.Path}",
        PostgresReportStore p => $"PostgreSQL: {p.Description}",
        _ => store.Engine,
    };
}
