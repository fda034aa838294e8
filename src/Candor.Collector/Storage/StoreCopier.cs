using Candor.Collector.Storage.Postgres;
using Candor.Collector.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Candor.Collector.Storage;

/// <summary>
/// Moves a collector from SQLite to PostgreSQL (<c>candor db copy</c>): every table, as it is, into an
/// empty PostgreSQL database, in one transaction with binary COPY. Nothing is recomputed, so the copy
/// holds exactly what the SQLite file held: counts, rollups, hashed idempotency keys (retries keep
/// working across the move), every registry version, the purge log, the published releases (recomputing a release would
/// draw fresh noise for figures already public, and two draws of the same period can be averaged) and the transparency log.
/// </summary>
internal static class StoreCopier
{
    public sealed record CopyCounts(long RawRows, long Rollups, long IdempotencyKeys, long Registries, long Purges, long Releases,
        long LogLeaves = 0, long Checkpoints = 0, long Commitments = 0);

    /// <exception cref="StoreCopyException">The source is missing or the target is not empty.</exception>
    public static async Task<CopyCounts> CopyAsync(string sqlitePath, PostgresReportStore target, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(sqlitePath))
            throw new StoreCopyException($"The SQLite database {Path.GetFullPath(sqlitePath)} does not exist.");
        // Brings an older file to the current schema first, as candor serve would; refuses a newer one.
        await using (var source = new SqliteReportStore(sqlitePath))
            await source.MigrateAsync(cancellationToken);
        await target.MigrateAsync(cancellationToken);

        await using var sqlite = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = sqlitePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await sqlite.OpenAsync(cancellationToken);
        var periods = new List<DateOnly>();
        await using (var cmd = new SqliteCommand("SELECT DISTINCT period FROM raw_reports;", sqlite))
        await using (var r = await cmd.ExecuteReaderAsync(cancellationToken))
            while (await r.ReadAsync(cancellationToken))
                periods.Add(PostgresReportStore.PeriodStart(r.GetString(0)));
        // Before the transaction: creating a partition locks the parent table, which the transaction's reads would hold.
        await target.EnsurePartitionsAsync(periods, cancellationToken);

        await using var pg = await target.DataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await pg.BeginTransactionAsync(cancellationToken);

        await using (var check = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM raw_reports) + (SELECT count(*) FROM rollups) + (SELECT count(*) FROM idempotency_keys)
                 + (SELECT count(*) FROM registries) + (SELECT count(*) FROM purge_log) + (SELECT count(*) FROM releases)
                 + (SELECT count(*) FROM commitments) + (SELECT count(*) FROM log_leaves) + (SELECT count(*) FROM log_pending);
            """, pg))
        {
            if ((long)(await check.ExecuteScalarAsync(cancellationToken))! > 0)
                throw new StoreCopyException($"The PostgreSQL database {target.Description} is not empty: copy into a new database, so that nothing is counted twice.");
        }

        long raw = await CopyTableAsync(sqlite, pg, "SELECT app, metric, period, value, reports FROM raw_reports;",
            "COPY raw_reports (app, metric, period, value, reports, period_start) FROM STDIN (FORMAT BINARY)", async (r, w) =>
            {
                await w.WriteAsync(r.GetString(0), NpgsqlDbType.Text);
                await w.WriteAsync(r.GetString(1), NpgsqlDbType.Text);
                await w.WriteAsync(r.GetString(2), NpgsqlDbType.Text);
                await w.WriteAsync(r.GetString(3), NpgsqlDbType.Text);
                await w.WriteAsync(r.GetInt64(4), NpgsqlDbType.Bigint);
                await w.WriteAsync(PostgresReportStore.PeriodStart(r.GetString(2)), NpgsqlDbType.Date);
            }, cancellationToken);
        long rollups = await CopyTableAsync(sqlite, pg, "SELECT app, metric, period, value, reports, total FROM rollups;",
            "COPY rollups (app, metric, period, value, reports, total) FROM STDIN (FORMAT BINARY)", async (r, w) =>
            {
                for (int i = 0; i < 4; i++)
                    await w.WriteAsync(r.GetString(i), NpgsqlDbType.Text);
                await w.WriteAsync(r.GetInt64(4), NpgsqlDbType.Bigint);
                await w.WriteAsync(r.GetInt64(5), NpgsqlDbType.Bigint);
            }, cancellationToken);
        long keys = await CopyTableAsync(sqlite, pg, "SELECT key_hash, body_mac, accepted, next_after, first_seen FROM idempotency_keys;",
            "COPY idempotency_keys (key_hash, body_mac, accepted, next_after, first_seen) FROM STDIN (FORMAT BINARY)", async (r, w) =>
            {
                await w.WriteAsync((byte[])r.GetValue(0), NpgsqlDbType.Bytea);
                await w.WriteAsync((byte[])r.GetValue(1), NpgsqlDbType.Bytea);
                await w.WriteAsync(r.GetInt32(2), NpgsqlDbType.Integer);
                await w.WriteAsync(r.GetInt64(3), NpgsqlDbType.Bigint);
                await w.WriteAsync(Day(r.GetString(4)), NpgsqlDbType.Date);
            }, cancellationToken);
        long registries = await CopyTableAsync(sqlite, pg, "SELECT app, version, yaml, sha256 FROM registries;",
            "COPY registries (app, version, yaml, sha256) FROM STDIN (FORMAT BINARY)", async (r, w) =>
            {
                await w.WriteAsync(r.GetString(0), NpgsqlDbType.Text);
                await w.WriteAsync(r.GetInt32(1), NpgsqlDbType.Integer);
                await w.WriteAsync(r.GetString(2), NpgsqlDbType.Text);
                await w.WriteAsync(r.GetString(3), NpgsqlDbType.Text);
            }, cancellationToken);
        long purges = await CopyTableAsync(sqlite, pg, "SELECT app, day, purged_before, raw_rows, reports FROM purge_log;",
            "COPY purge_log (app, day, purged_before, raw_rows, reports) FROM STDIN (FORMAT BINARY)", async (r, w) =>
            {
                await w.WriteAsync(r.GetString(0), NpgsqlDbType.Text);
                await w.WriteAsync(Day(r.GetString(1)), NpgsqlDbType.Date);
                await w.WriteAsync(Day(r.GetString(2)), NpgsqlDbType.Date);
                await w.WriteAsync(r.GetInt64(3), NpgsqlDbType.Bigint);
                await w.WriteAsync(r.GetInt64(4), NpgsqlDbType.Bigint);
            }, cancellationToken);
        long releases = await CopyTableAsync(sqlite, pg, "SELECT app, metric, period, released_on, document FROM releases;",
            "COPY releases (app, metric, period, released_on, document) FROM STDIN (FORMAT BINARY)", async (r, w) =>
            {
                await w.WriteAsync(r.GetString(0), NpgsqlDbType.Text);
                await w.WriteAsync(r.GetString(1), NpgsqlDbType.Text);
                await w.WriteAsync(r.GetString(2), NpgsqlDbType.Text);
                await w.WriteAsync(Day(r.GetString(3)), NpgsqlDbType.Date);
                await w.WriteAsync(r.GetString(4), NpgsqlDbType.Text);
            }, cancellationToken);
        var (leaves, checkpoints, commitments) = await CopyLogAsync(sqlite, pg, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new CopyCounts(raw, rollups, keys, registries, purges, releases, leaves, checkpoints, commitments);
    }

    /// <summary>
    /// The transparency log moves whole: a collector that started a new log under the same key would sign
    /// a second tree of the same sizes, which every device that saw the first reports as a fork.
    /// </summary>
    private static async Task<(long Leaves, long Checkpoints, long Commitments)> CopyLogAsync(SqliteConnection sqlite, NpgsqlConnection pg, CancellationToken cancellationToken)
    {
        long commitments = await CopyTableAsync(sqlite, pg, "SELECT commitment, app, retire, state FROM commitments;",
            "COPY commitments (commitment, app, retire, state) FROM STDIN (FORMAT BINARY)", async (r, w) =>
            {
                await w.WriteAsync((byte[])r.GetValue(0), NpgsqlDbType.Bytea);
                await w.WriteAsync(r.GetString(1), NpgsqlDbType.Text);
                await w.WriteAsync(r.GetString(2), NpgsqlDbType.Text);
                await w.WriteAsync((short)r.GetInt64(3), NpgsqlDbType.Smallint);
            }, cancellationToken);
        await CopyTableAsync(sqlite, pg, "SELECT entry, arrived FROM log_pending;", "COPY log_pending (entry, arrived) FROM STDIN (FORMAT BINARY)",
            async (r, w) =>
            {
                await w.WriteAsync((byte[])r.GetValue(0), NpgsqlDbType.Bytea);
                await w.WriteAsync(r.GetInt64(1), NpgsqlDbType.Bigint);
            }, cancellationToken);
        // SQLite keeps a pending report's app and retirement week in its pending entry until the epoch is sealed;
        // PostgreSQL keeps them in commitments from the start (state 0). One deleted while pending has neither.
        var pending = new List<(byte[] Commitment, string App, string Retire)>();
        await using (var cmd = new SqliteCommand("SELECT entry, app, retire FROM log_pending WHERE app IS NOT NULL;", sqlite))
        await using (var r = await cmd.ExecuteReaderAsync(cancellationToken))
            while (await r.ReadAsync(cancellationToken))
                pending.Add((((byte[])r.GetValue(0))[1..], r.GetString(1), r.GetString(2)));
        if (pending.Count > 0)
        {
            await using var insert = new NpgsqlCommand("""
                INSERT INTO commitments (commitment, app, retire, state)
                SELECT *, 0 FROM unnest(@c::bytea[], @app::text[], @retire::text[]) ON CONFLICT DO NOTHING;
                """, pg);
            insert.Parameters.AddWithValue("c", pending.Select(p => p.Commitment).ToArray());
            insert.Parameters.AddWithValue("app", pending.Select(p => p.App).ToArray());
            insert.Parameters.AddWithValue("retire", pending.Select(p => p.Retire).ToArray());
            commitments += await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await CopyTableAsync(sqlite, pg, "SELECT level, tile_index, hashes FROM log_tiles;", "COPY log_tiles (level, tile_index, hashes) FROM STDIN (FORMAT BINARY)",
            async (r, w) =>
            {
                await w.WriteAsync(r.GetInt32(0), NpgsqlDbType.Integer);
                await w.WriteAsync(r.GetInt64(1), NpgsqlDbType.Bigint);
                await w.WriteAsync((byte[])r.GetValue(2), NpgsqlDbType.Bytea);
            }, cancellationToken);
        await CopyTableAsync(sqlite, pg, "SELECT bundle_index, entries FROM log_bundles;", "COPY log_bundles (bundle_index, entries) FROM STDIN (FORMAT BINARY)",
            async (r, w) =>
            {
                await w.WriteAsync(r.GetInt64(0), NpgsqlDbType.Bigint);
                await w.WriteAsync((byte[])r.GetValue(1), NpgsqlDbType.Bytea);
            }, cancellationToken);
        long leaves = await CopyTableAsync(sqlite, pg, "SELECT entry, leaf_index FROM log_leaves;", "COPY log_leaves (entry, leaf_index) FROM STDIN (FORMAT BINARY)",
            async (r, w) =>
            {
                await w.WriteAsync((byte[])r.GetValue(0), NpgsqlDbType.Bytea);
                await w.WriteAsync(r.GetInt64(1), NpgsqlDbType.Bigint);
            }, cancellationToken);
        long checkpoints = await CopyTableAsync(sqlite, pg, "SELECT tree_size, note FROM log_checkpoints;", "COPY log_checkpoints (tree_size, note) FROM STDIN (FORMAT BINARY)",
            async (r, w) =>
            {
                await w.WriteAsync(r.GetInt64(0), NpgsqlDbType.Bigint);
                await w.WriteAsync(r.GetString(1), NpgsqlDbType.Text);
            }, cancellationToken);
        long size, pendingPosts, epochs;
        await using (var state = new SqliteCommand("SELECT tree_size, pending_posts, epoch FROM log_state;", sqlite))
        await using (var r = await state.ExecuteReaderAsync(cancellationToken))
        {
            await r.ReadAsync(cancellationToken);
            (size, pendingPosts, epochs) = (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
        }
        await using var update = new NpgsqlCommand("UPDATE log_state SET tree_size = @n, pending_posts = @p, epoch = @e WHERE singleton = 1;", pg);
        update.Parameters.AddWithValue("n", size);
        update.Parameters.AddWithValue("p", pendingPosts);
        update.Parameters.AddWithValue("e", epochs);
        await update.ExecuteNonQueryAsync(cancellationToken);
        return (leaves, checkpoints, commitments);
    }

    private static DateOnly Day(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<long> CopyTableAsync(SqliteConnection sqlite, NpgsqlConnection pg, string select, string copy,
        Func<SqliteDataReader, NpgsqlBinaryImporter, Task> writeRow, CancellationToken cancellationToken)
    {
        await using var cmd = new SqliteCommand(select, sqlite);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        await using var writer = await pg.BeginBinaryImportAsync(copy, cancellationToken);
        long rows = 0;
        while (await r.ReadAsync(cancellationToken))
        {
            await writer.StartRowAsync(cancellationToken);
            await writeRow(r, writer);
            rows++;
        }
        await writer.CompleteAsync(cancellationToken);
        return rows;
    }
}

/// <summary>A copy that cannot start; the message says why.</summary>
public sealed class StoreCopyException(string message) : Exception(message);
