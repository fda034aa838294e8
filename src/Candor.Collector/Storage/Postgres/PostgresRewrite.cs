using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// Key order at rest on PostgreSQL: a heap keeps rows in write order and an UPDATE writes a new row version
/// elsewhere, stamped with its transaction id, so a dump, an unordered SELECT, <c>ctid</c> or <c>xmin</c>
/// would group the cells one batch wrote. Each table written since the last rewrite is copied back into a
/// new file in primary-key order (<see cref="PostgresDatabase.RewriteTableAsync"/>), one collector at a time.
/// </summary>
internal sealed class PostgresRewrite(PostgresDatabase db) : IKeyOrderRewrite
{
    /// <summary>Held (session-level, try only) by the one collector rewriting tables in key order.</summary>
    private const long RewriteLock = 0x43616E646F73; // "Candos"

    /// <summary>Every table but raw_reports' partitions, with its primary key: the order it is rewritten in.</summary>
    private static readonly (string Table, string Key)[] SharedTables =
    [
        ("rollups", "app, metric, period, value"),
        ("idempotency_keys", "key_hash"),
        ("purge_log", "app, day, purged_before"),
        ("registries", "app, version"),
        ("releases", "app, metric, period"),
        // The transparency log's private half: commitment rows and the pending set, in random key order.
        // The public tables (tiles, bundles, leaves, checkpoints) are in log order, which is public anyway.
        ("commitments", "commitment"),
        ("log_pending", "entry"),
        // DAP (Dap/DapStore.cs), in random report-id or job-id order: a device's reports uploaded back to back
        // sat next to each other in dap_reports and dap_report_ids, with consecutive xmin, and a Helper's
        // aggregation job's ids shared one xmin. dap_batch_shares holds one row per bucket, but every job
        // leaves the row's previous version (the sum before it) as a dead tuple until it is rewritten.
        // Left out: dap_rejections (counts per cause, no report in it) and dap_collected_batches (one row per
        // interval the Collector collected).
        ("dap_reports", "task, report"),
        ("dap_report_ids", "task, report"),
        ("dap_batch_shares", "task, bucket"),
        ("dap_aggregation_jobs", "task, job"),
        ("dap_collection_jobs", "task, job"),
        // Folded journal rows stay as dead tuples (each one a group's cells together) until this truncates them.
        ("cell_journal", "id"),
    ];

    public async Task<bool> RewriteInKeyOrderAsync(bool force = false, CancellationToken cancellationToken = default)
    {
        var (months, shared) = db.TakeDirty();
        if (!force && !shared && months.Count == 0)
            return false;
        try
        {
            await using var c = await db.DataSource.OpenConnectionAsync(cancellationToken);
            // One collector at a time: several collectors rewriting the same table would only queue on its lock.
            await using (var tryLock = new NpgsqlCommand($"SELECT pg_try_advisory_lock({RewriteLock});", c))
                if (!(bool)(await tryLock.ExecuteScalarAsync(cancellationToken))!)
                {
                    db.MarkDirty(months, shared);
                    return false;
                }
            try
            {
                await PostgresDatabase.RewritePartitionsAsync(c, month => force || months.Contains(month), cancellationToken);
                if (force || shared)
                    foreach (var (table, key) in SharedTables)
                        await PostgresDatabase.RewriteTableAsync(c, table, key, cancellationToken);
            }
            finally
            {
                await PostgresDatabase.Exec(c, $"SELECT pg_advisory_unlock({RewriteLock});", CancellationToken.None);
            }
            return true;
        }
        catch
        {
            db.MarkDirty(months, shared); // the next run tries again
            throw;
        }
    }
}
