using Candor.Collector.Transparency;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// Deletion by receipt on PostgreSQL: <see cref="ReceiptDeletion"/> with this engine's SQL in one
/// transaction (retried as a deadlock victim), then the partitions and rollups it touched are rewritten.
/// </summary>
internal sealed class PostgresDeletion(PostgresDatabase db) : IDeletionStore
{
    /// <summary>
    /// FOR UPDATE: two requests deleting the same report serialise on the commitment row, and the second finds
    /// it gone. Raw rows are found through their partition key (<c>@start</c>). Deleted, not marked: the
    /// commitment row goes (the rewrite below then drops the dead tuple's file); its report entry stays logged
    /// or pending, so the deletion entry has a report to point at.
    /// </summary>
    private static readonly ReceiptDeletionSql Sql = new(
        FindApp: "SELECT app FROM commitments WHERE commitment = @c FOR UPDATE;",
        InLog: """
            SELECT EXISTS (SELECT 1 FROM log_leaves WHERE entry = @d) OR EXISTS (SELECT 1 FROM log_pending WHERE entry = @d),
                   EXISTS (SELECT 1 FROM log_leaves WHERE entry = @r) OR EXISTS (SELECT 1 FROM log_pending WHERE entry = @r);
            """,
        TakeRaw: """
            UPDATE raw_reports SET reports = reports - 1
            WHERE app = @app AND metric = @metric AND period = @period AND value = @value AND period_start = @start;
            """,
        DropEmptyRaw: """
            DELETE FROM raw_reports
            WHERE app = @app AND metric = @metric AND period = @period AND value = @value AND period_start = @start AND reports <= 0;
            """,
        TakeRollup: """
            UPDATE rollups SET reports = reports - 1, total = total - @total
            WHERE app = @app AND metric = @metric AND period = @period AND value = @value;
            """,
        DropEmptyRollup: "DELETE FROM rollups WHERE app = @app AND metric = @metric AND period = @period AND value = @value AND reports <= 0;",
        Forget: """
            DELETE FROM commitments WHERE commitment = @c;
            INSERT INTO log_pending (entry, arrived) VALUES (@e, (SELECT epoch FROM log_state WHERE singleton = 1)) ON CONFLICT DO NOTHING;
            """,
        CountBatch: "UPDATE log_state SET pending_posts = pending_posts + 1 WHERE singleton = 1;",
        PeriodStart: PostgresDatabase.PeriodStart);

    public Task<IReadOnlyList<DeletionStatus>> DeleteByReceiptAsync(string storedApp, IReadOnlyList<DeletionReceipt> receipts, CancellationToken cancellationToken = default) =>
        PostgresDatabase.RetryAsync(() => DeleteOnceAsync(receipts, cancellationToken), cancellationToken);

    private async Task<IReadOnlyList<DeletionStatus>> DeleteOnceAsync(IReadOnlyList<DeletionReceipt> receipts, CancellationToken cancellationToken)
    {
        await using var c = await db.DataSource.OpenConnectionAsync(cancellationToken);
        IReadOnlyList<DeletionStatus> statuses;
        bool deleted;
        await using (var tx = await c.BeginTransactionAsync(cancellationToken))
        {
            (statuses, deleted) = await ReceiptDeletion.RunAsync(c, tx, Sql, receipts, cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        if (deleted)
        {
            // Dead tuples keep their bytes until their file is rewritten: a raw row counted down (or deleted) keeps
            // the deleted report's value in its old version, so the partitions it lives in and the rollups are
            // rewritten now, not at the next scheduled rewrite (a copy after deletion holds no value).
            var months = receipts.Select(r => PostgresDatabase.PeriodStart(r.Period)).Select(d => new DateOnly(d.Year, d.Month, 1)).ToHashSet();
            await PostgresDatabase.RewritePartitionsAsync(c, months.Contains, cancellationToken);
            await PostgresDatabase.RewriteTableAsync(c, "rollups", "app, metric, period, value", cancellationToken);
            db.SharedWritten();
        }
        return statuses;
    }
}
