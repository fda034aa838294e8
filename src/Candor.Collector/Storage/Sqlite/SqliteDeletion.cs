using Candor.Collector.Transparency;

namespace Candor.Collector.Storage.Sqlite;

/// <summary>
/// Deletion by receipt on SQLite: <see cref="ReceiptDeletion"/> with this engine's SQL, on the writer (whose
/// <c>secure_delete</c> zeroes what goes), then the WAL is emptied of the older page images.
/// </summary>
internal sealed class SqliteDeletion(SqliteDatabase db) : IDeletionStore
{
    /// <summary>
    /// A report not sealed yet is held as a pending entry with its app (SQLite keeps commitments there until
    /// their epoch); a logged one in commitments. Deleted, not marked: the row goes (secure_delete zeroes it);
    /// a pending report entry stays (its leaf is still to be logged, so the deletion entry has a report to point
    /// at) but loses its app and retirement week.
    /// </summary>
    private static readonly ReceiptDeletionSql Sql = new(
        FindApp: """
            SELECT app FROM commitments WHERE commitment = @c
            UNION ALL SELECT app FROM log_pending WHERE entry = unhex('00' || hex(@c)) AND app IS NOT NULL;
            """,
        InLog: """
            SELECT EXISTS (SELECT 1 FROM log_leaves WHERE entry = @d) OR EXISTS (SELECT 1 FROM log_pending WHERE entry = @d),
                   EXISTS (SELECT 1 FROM log_leaves WHERE entry = @r) OR EXISTS (SELECT 1 FROM log_pending WHERE entry = @r);
            """,
        TakeRaw: "UPDATE raw_reports SET reports = reports - 1 WHERE app = @app AND metric = @metric AND period = @period AND value = @value;",
        DropEmptyRaw: "DELETE FROM raw_reports WHERE app = @app AND metric = @metric AND period = @period AND value = @value AND reports <= 0;",
        TakeRollup: "UPDATE rollups SET reports = reports - 1, total = total - @total WHERE app = @app AND metric = @metric AND period = @period AND value = @value;",
        DropEmptyRollup: "DELETE FROM rollups WHERE app = @app AND metric = @metric AND period = @period AND value = @value AND reports <= 0;",
        Forget: """
            DELETE FROM commitments WHERE commitment = @c;
            UPDATE log_pending SET app = NULL, retire = NULL WHERE entry = unhex('00' || hex(@c));
            INSERT OR IGNORE INTO log_pending (entry, arrived) VALUES (@e, (SELECT epoch FROM log_state WHERE singleton = 1));
            """,
        CountBatch: "UPDATE log_state SET pending_posts = pending_posts + 1 WHERE singleton = 1;");

    public Task<IReadOnlyList<DeletionStatus>> DeleteByReceiptAsync(string storedApp, IReadOnlyList<DeletionReceipt> receipts, CancellationToken cancellationToken = default) =>
        db.WriteAsync(async writer =>
        {
            bool deleted;
            IReadOnlyList<DeletionStatus> statuses;
            using (var tx = writer.BeginTransaction(deferred: false))
            {
                (statuses, deleted) = await ReceiptDeletion.RunAsync(writer, tx, Sql, receipts, cancellationToken);
                tx.Commit();
            }
            if (deleted)
            {
                db.Wrote();
                // The deleted rows' cells are zeroed in their pages, but the WAL still holds the older page images.
                await SqliteDatabase.TruncateWalAsync(writer);
            }
            return statuses;
        }, cancellationToken);
}
