using Candor.Collector.Transparency;
using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

/// <summary>
/// The transparency log on SQLite: sealing on the writer connection in one immediate transaction, reads in
/// one deferred transaction on a pooled connection (one snapshot, whatever a seal commits meanwhile).
/// </summary>
internal sealed class SqliteLog(SqliteDatabase db) : ILogStore
{
    public Task<long?> SealEpochAsync(int minBatches, Func<PendingEpoch, SealedEpoch> seal, CancellationToken cancellationToken = default) =>
        db.WriteAsync(async writer =>
        {
            using var tx = writer.BeginTransaction(deferred: false);
            SqliteLogReader? reader = null;
            try
            {
                var epoch = await EpochSealing.DecideAsync(writer, tx, "SELECT pending_posts FROM log_state WHERE singleton = 1;",
                    () => reader = new SqliteLogReader(writer, tx), minBatches, seal, cancellationToken);
                if (epoch is null)
                    return null;
                if (epoch.Leaves.Count > 0)
                    Write(writer, tx, epoch);
                tx.Commit();
                if (epoch.Leaves.Count == 0)
                    return null;
                db.Wrote();
                return (long?)epoch.Append.NewSize;
            }
            finally
            {
                reader?.Dispose();
            }
        }, cancellationToken);

    private static void Write(SqliteConnection writer, SqliteTransaction tx, SealedEpoch epoch)
    {
        long size = epoch.Append.NewSize - epoch.Leaves.Count;
        using (var tile = SqliteDatabase.Command(writer, "INSERT OR REPLACE INTO log_tiles (level, tile_index, hashes) VALUES ($l, $i, $h);", "$l", "$i", "$h"))
        {
            tile.Transaction = tx;
            foreach (var (level, index, hashes) in epoch.Append.Tiles)
            {
                tile.Parameters[0].Value = level; tile.Parameters[1].Value = index; tile.Parameters[2].Value = hashes;
                tile.ExecuteNonQuery();
            }
        }
        using (var bundle = SqliteDatabase.Command(writer, "INSERT OR REPLACE INTO log_bundles (bundle_index, entries) VALUES ($i, $e);", "$i", "$e"))
        {
            bundle.Transaction = tx;
            foreach (var (index, bytes) in epoch.Append.Bundles)
            {
                bundle.Parameters[0].Value = index; bundle.Parameters[1].Value = bytes;
                bundle.ExecuteNonQuery();
            }
        }
        using (var leaf = SqliteDatabase.Command(writer, "INSERT OR IGNORE INTO log_leaves (entry, leaf_index) VALUES ($e, $i);", "$e", "$i"))
        {
            leaf.Transaction = tx;
            for (int i = 0; i < epoch.Leaves.Count; i++)
            {
                leaf.Parameters[0].Value = epoch.Leaves[i]; leaf.Parameters[1].Value = size + i;
                leaf.ExecuteNonQuery();
            }
        }
        using (var finish = writer.CreateCommand())
        {
            finish.Transaction = tx;
            // The epoch's reports move to commitments, logged, in key order (one deleted while pending has no
            // app any more and is only logged); the entries not due stay pending.
            finish.CommandText = """
                INSERT OR IGNORE INTO commitments (commitment, app, retire, state)
                SELECT substr(entry, 2), app, retire, 1 FROM log_pending
                WHERE app IS NOT NULL AND entry IN (SELECT unhex(value) FROM json_each($sealed)) ORDER BY entry;
                INSERT INTO log_checkpoints (tree_size, note) VALUES ($n, $note);
                DELETE FROM log_pending WHERE entry IN (SELECT unhex(value) FROM json_each($sealed));
                UPDATE log_state SET tree_size = $n, pending_posts = 0, epoch = epoch + 1 WHERE singleton = 1;
                """;
            finish.Parameters.AddWithValue("$n", epoch.Append.NewSize);
            finish.Parameters.AddWithValue("$note", epoch.Checkpoint);
            finish.Parameters.AddWithValue("$sealed", System.Text.Json.JsonSerializer.Serialize(
                epoch.Leaves.Select(Convert.ToHexString).ToList(), Api.ApiJsonContext.Default.ListString));
            finish.ExecuteNonQuery();
        }
    }

    public async Task<T> ReadLogAsync<T>(Func<ILogReader, T> read, CancellationToken cancellationToken = default)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        // One read transaction: every tile comes from the same snapshot, whatever a seal commits meanwhile.
        using var tx = c.BeginTransaction(deferred: true);
        using var reader = new SqliteLogReader(c, tx);
        return read(reader);
    }
}
