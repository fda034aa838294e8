using System.Data.Common;
using System.Globalization;

namespace Candor.Collector.Storage;

/// <summary>
/// The read queries of both engines, as GoatCounter keeps one set of queries for SQLite and PostgreSQL:
/// one SQL text per read (parameters written <c>@name</c>, which Microsoft.Data.Sqlite and Npgsql both
/// take) and one mapping from rows to records. The engines only supply an open command. Two copies of
/// these had drifted apart (one engine's rollup read could not use its primary key for one metric); a
/// query changed here changes for both, and the shared contract tests run it on both.
/// </summary>
internal static class ReportReads
{
    public static Task<IReadOnlyList<StoredRegistry>> RegistriesAsync(DbCommand cmd, CancellationToken cancellationToken) =>
        ReadAsync(cmd, "SELECT app, version, yaml, sha256 FROM registries ORDER BY app, version;", [],
            r => new StoredRegistry(r.GetString(0), r.GetInt32(1), r.GetString(2), r.GetString(3)), cancellationToken);

    /// <summary>Two statements rather than "(@metric IS NULL OR metric = @metric)", so that each uses the primary key fully.</summary>
    public static Task<IReadOnlyList<RollupCell>> RollupsAsync(DbCommand cmd, string app, string? metric, CancellationToken cancellationToken) =>
        metric is null
            ? ReadAsync(cmd, "SELECT app, metric, period, value, reports, total FROM rollups WHERE app = @app ORDER BY metric, period, value;",
                [("app", app)], Rollup, cancellationToken)
            : ReadAsync(cmd, "SELECT app, metric, period, value, reports, total FROM rollups WHERE app = @app AND metric = @metric ORDER BY period, value;",
                [("app", app), ("metric", metric)], Rollup, cancellationToken);

    public static Task<IReadOnlyList<RollupCell>> RollupsAsync(DbCommand cmd, string app, string metric, string fromPeriod, string toPeriod, CancellationToken cancellationToken) =>
        ReadAsync(cmd, "SELECT app, metric, period, value, reports, total FROM rollups WHERE app = @app AND metric = @metric AND period >= @from AND period <= @to ORDER BY period, value;",
            [("app", app), ("metric", metric), ("from", fromPeriod), ("to", toPeriod)], Rollup, cancellationToken);

    public static Task<IReadOnlyList<StoredRelease>> ReleasesAsync(DbCommand cmd, string app, string metric, string fromPeriod, string toPeriod, CancellationToken cancellationToken) =>
        ReadAsync(cmd, "SELECT app, metric, period, released_on, document FROM releases WHERE app = @app AND metric = @metric AND period >= @from AND period <= @to ORDER BY period;",
            [("app", app), ("metric", metric), ("from", fromPeriod), ("to", toPeriod)],
            r => new StoredRelease(r.GetString(0), r.GetString(1), r.GetString(2), Day(r, 3), r.GetString(4)), cancellationToken);

    public static Task<IReadOnlyList<RawRow>> RawAsync(DbCommand cmd, string app, CancellationToken cancellationToken) =>
        ReadAsync(cmd, "SELECT app, metric, period, value, reports FROM raw_reports WHERE app = @app ORDER BY metric, period, value;",
            [("app", app)], r => new RawRow(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4)), cancellationToken);

    public static Task<IReadOnlyList<PurgeRecord>> PurgesAsync(DbCommand cmd, string app, CancellationToken cancellationToken) =>
        ReadAsync(cmd, "SELECT app, day, purged_before, raw_rows, reports FROM purge_log WHERE app = @app ORDER BY day, purged_before;",
            [("app", app)], r => new PurgeRecord(r.GetString(0), Day(r, 1), Day(r, 2), r.GetInt64(3), r.GetInt64(4)), cancellationToken);

    private static RollupCell Rollup(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4), r.GetInt64(5));

    /// <summary>The one dialect difference in reading: a day is a <c>date</c> in PostgreSQL and ISO text in SQLite.</summary>
    private static DateOnly Day(DbDataReader r, int ordinal) =>
        r.GetFieldType(ordinal) == typeof(string)
            ? DateOnly.ParseExact(r.GetString(ordinal), "yyyy-MM-dd", CultureInfo.InvariantCulture)
            : r.GetFieldValue<DateOnly>(ordinal);

    private static async Task<IReadOnlyList<T>> ReadAsync<T>(DbCommand cmd, string sql, (string Name, object Value)[] parameters,
        Func<DbDataReader, T> map, CancellationToken cancellationToken)
    {
        cmd.CommandText = sql;
        DbParameters.AddAll(cmd, parameters);
        var list = new List<T>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
            list.Add(map(r));
        return list;
    }
}
