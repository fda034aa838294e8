using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// Retention on PostgreSQL: <see cref="RetentionRule"/> decides which periods and retirement weeks go, as on
/// SQLite; one statement deletes, counts and logs (so concurrent collectors never double count), and what was
/// deleted from is rewritten so the bytes leave the files.
/// </summary>
internal sealed class PostgresRetention(PostgresDatabase db) : IRetentionStore
{
    public async Task<PurgeRecord> PurgeRawAsync(string app, DateOnly purgedBefore, DateOnly today, CancellationToken cancellationToken = default)
    {
        // The candidates: the app's periods that start before the boundary (no other can end on or before it, and
        // period_start < @before lets PostgreSQL skip every partition that starts later) and its retirement weeks.
        List<string> expired, retired;
        await using (var candidates = db.DataSource.CreateCommand("""
            SELECT DISTINCT period, 0 FROM raw_reports WHERE app = @app AND period_start < @before
            UNION SELECT DISTINCT retire, 1 FROM commitments WHERE app = @app AND retire IS NOT NULL;
            """))
        {
            candidates.Parameters.AddWithValue("app", app);
            candidates.Parameters.AddWithValue("before", purgedBefore);
            (expired, retired) = await RetentionRule.DecideAsync(candidates, purgedBefore, cancellationToken);
        }
        // One statement: delete, count what this statement deleted, log it. A second collector purging at
        // the same moment waits on the row locks, then finds the rows gone and adds nothing to the counts.
        // The log gets its entry whether rows went or not (one entry per scheduled purge; an entry
        // only when rows went told the public, for every day, whether any report existed).
        await using var cmd = db.DataSource.CreateCommand("""
            WITH gone AS (
                DELETE FROM raw_reports
                WHERE app = @app AND period_start < @before AND period = ANY(@periods)
                RETURNING reports),
            purged AS (SELECT count(*) AS raw_rows, coalesce(sum(reports), 0)::bigint AS reports FROM gone),
            logged AS (
                INSERT INTO purge_log (app, day, purged_before, raw_rows, reports)
                SELECT @app, @day, @before, raw_rows, reports FROM purged
                ON CONFLICT (app, day, purged_before) DO UPDATE
                SET raw_rows = purge_log.raw_rows + excluded.raw_rows, reports = purge_log.reports + excluded.reports)
            SELECT raw_rows, reports FROM purged;
            """);
        cmd.Parameters.AddWithValue("app", app);
        cmd.Parameters.AddWithValue("before", purgedBefore);
        cmd.Parameters.AddWithValue("periods", expired.ToArray());
        cmd.Parameters.AddWithValue("day", today);
        PurgeRecord record;
        await using (var r = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            await r.ReadAsync(cancellationToken);
            record = new PurgeRecord(app, today, purgedBefore, r.GetInt64(0), r.GetInt64(1));
        }
        // The commitments of the purged periods go too, by their retirement week (their leaves stay in the log:
        // they are only hashes).
        if (retired.Count > 0)
        {
            await using var gone = db.DataSource.CreateCommand("DELETE FROM commitments WHERE app = @app AND retire = ANY(@periods);");
            gone.Parameters.AddWithValue("app", app);
            gone.Parameters.AddWithValue("periods", retired.ToArray());
            if (await gone.ExecuteNonQueryAsync(cancellationToken) > 0)
            {
                await using var c = await db.DataSource.OpenConnectionAsync(cancellationToken);
                await PostgresDatabase.RewriteTableAsync(c, "commitments", "commitment", cancellationToken);
            }
        }
        if (record.RawRows > 0)
        {
            // The deleted rows are dead tuples in the partitions that held them (those starting before
            // the boundary): rewrite those into new files, so the bytes leave the database files.
            await using var c = await db.DataSource.OpenConnectionAsync(cancellationToken);
            await PostgresDatabase.RewritePartitionsAsync(c, month => month < purgedBefore, cancellationToken);
            await PostgresDatabase.RewriteTableAsync(c, "purge_log", "app, day, purged_before", cancellationToken);
        }
        return record;
    }

    public async Task<IReadOnlyList<PurgeRecord>> ReadPurgesAsync(string app, CancellationToken cancellationToken = default)
    {
        await using var cmd = db.DataSource.CreateCommand();
        return await ReportReads.PurgesAsync(cmd, app, cancellationToken);
    }
}
