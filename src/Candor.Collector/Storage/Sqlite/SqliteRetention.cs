namespace Candor.Collector.Storage.Sqlite;

/// <summary>
/// Retention on SQLite: one immediate transaction on the writer deletes the expired raw rows and the
/// commitments retiring with them and logs the purge; then the WAL is emptied of the older page images.
/// What goes is decided by <see cref="RetentionRule"/> over the app's periods and retirement weeks, as on PostgreSQL.
/// </summary>
internal sealed class SqliteRetention(SqliteDatabase db) : IRetentionStore
{
    public Task<PurgeRecord> PurgeRawAsync(string app, DateOnly purgedBefore, DateOnly today, CancellationToken cancellationToken = default) =>
        db.WriteAsync(async writer =>
        {
            using var tx = writer.BeginTransaction(deferred: false);
            List<string> expired, retired;
            await using (var periods = writer.CreateCommand())
            {
                periods.Transaction = tx;
                periods.CommandText = """
                    SELECT period, 0 FROM raw_reports WHERE app = $app GROUP BY period
                    UNION SELECT retire, 1 FROM commitments WHERE app = $app AND retire IS NOT NULL UNION SELECT retire, 1 FROM log_pending WHERE app = $app AND retire IS NOT NULL;
                    """;
                periods.Parameters.AddWithValue("$app", app);
                (expired, retired) = await RetentionRule.DecideAsync(periods, purgedBefore, cancellationToken);
            }
            long rows = 0, reports = 0, commitmentsGone = 0;
            if (expired.Count > 0)
            {
                await using var delete = writer.CreateCommand();
                delete.Transaction = tx;
                delete.CommandText = "DELETE FROM raw_reports WHERE app = $app AND period IN (SELECT value FROM json_each($periods)) RETURNING reports;";
                delete.Parameters.AddWithValue("$app", app);
                delete.Parameters.AddWithValue("$periods", System.Text.Json.JsonSerializer.Serialize(expired, Api.ApiJsonContext.Default.ListString));
                await using var r = await delete.ExecuteReaderAsync(cancellationToken);
                while (await r.ReadAsync(cancellationToken))
                {
                    rows++;
                    reports += r.GetInt64(0);
                }
            }
            if (retired.Count > 0)
            {
                // The commitments of those reports go with them, by their retirement week (their leaves stay in the
                // log: they are only hashes). A pending entry keeps its place in its epoch, without its app.
                await using var delete = writer.CreateCommand();
                delete.Transaction = tx;
                delete.CommandText = """
                    DELETE FROM commitments WHERE app = $app AND retire IN (SELECT value FROM json_each($retired));
                    UPDATE log_pending SET app = NULL, retire = NULL WHERE app = $app AND retire IN (SELECT value FROM json_each($retired));
                    """;
                delete.Parameters.AddWithValue("$app", app);
                delete.Parameters.AddWithValue("$retired", System.Text.Json.JsonSerializer.Serialize(retired, Api.ApiJsonContext.Default.ListString));
                commitmentsGone = await delete.ExecuteNonQueryAsync(cancellationToken);
            }
            // One entry per scheduled purge, rows or not: an entry written only when rows went told
            // the public, for every day, whether any report existed. The counts stay private (never served).
            await using (var log = writer.CreateCommand())
            {
                log.Transaction = tx;
                log.CommandText = """
                    INSERT INTO purge_log (app, day, purged_before, raw_rows, reports) VALUES ($app, $day, $before, $rows, $reports)
                    ON CONFLICT (app, day, purged_before) DO UPDATE SET raw_rows = raw_rows + excluded.raw_rows, reports = reports + excluded.reports;
                    """;
                log.Parameters.AddWithValue("$app", app);
                log.Parameters.AddWithValue("$day", today.ToString("yyyy-MM-dd"));
                log.Parameters.AddWithValue("$before", purgedBefore.ToString("yyyy-MM-dd"));
                log.Parameters.AddWithValue("$rows", rows);
                log.Parameters.AddWithValue("$reports", reports);
                await log.ExecuteNonQueryAsync(cancellationToken);
            }
            tx.Commit();
            if (rows > 0 || commitmentsGone > 0)
            {
                db.Wrote();
                await SqliteDatabase.TruncateWalAsync(writer);
            }
            return new PurgeRecord(app, today, purgedBefore, rows, reports);
        }, cancellationToken);

    public async Task<IReadOnlyList<PurgeRecord>> ReadPurgesAsync(string app, CancellationToken cancellationToken = default)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var cmd = c.CreateCommand();
        return await ReportReads.PurgesAsync(cmd, app, cancellationToken);
    }
}
