namespace Candor.Collector.Storage;

/// <summary>
/// Which SQL a shared query speaks where the engines differ, as GoatCounter's zdb picks a query's text per
/// dialect: SQLite has no arrays (lists travel as JSON read with <c>json_each</c>), PostgreSQL does.
/// </summary>
internal enum SqlDialect { Sqlite, Postgres }
