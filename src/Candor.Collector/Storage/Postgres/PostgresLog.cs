using Candor.Collector.Transparency;
using Candor.Transparency;
using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// The transparency log on PostgreSQL: sealing in one transaction behind the <c>log_state</c> row lock
/// (several collectors may try at once; one seals), reads at read committed.
/// </summary>
internal sealed class PostgresLog(PostgresDatabase db) : ILogStore
{
    public async Task<long?> SealEpochAsync(int minBatches, Func<PendingEpoch, SealedEpoch> seal, CancellationToken cancellationToken = default)
    {
        await using var c = await db.DataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        // The state row first, FOR UPDATE: a second collector sealing waits here and then finds nothing;
        // an ingest that commits pending entries before this lock is taken is in the read below, one that
        // commits after waits on the row (it adds to the batch count) and its entries stay for the next epoch.
        var epoch = await EpochSealing.DecideAsync(c, tx, "SELECT pending_posts FROM log_state WHERE singleton = 1 FOR UPDATE;",
            () => new PostgresLogReader(c, PostgresLogReader.ReadSize(c)), minBatches, seal, cancellationToken);
        if (epoch is null)
            return null;
        if (epoch.Leaves.Count == 0)
        {
            await tx.CommitAsync(cancellationToken);
            return null;
        }
        long size = epoch.Append.NewSize - epoch.Leaves.Count;
        await using var batch = new NpgsqlBatch(c);
        var tiles = new NpgsqlBatchCommand("""
            INSERT INTO log_tiles (level, tile_index, hashes) SELECT * FROM unnest(@l::integer[], @i::bigint[], @h::bytea[])
            ON CONFLICT (level, tile_index) DO UPDATE SET hashes = excluded.hashes;
            """);
        tiles.Parameters.AddWithValue("l", epoch.Append.Tiles.Select(t => t.Level).ToArray());
        tiles.Parameters.AddWithValue("i", epoch.Append.Tiles.Select(t => t.Index).ToArray());
        tiles.Parameters.AddWithValue("h", epoch.Append.Tiles.Select(t => t.Hashes).ToArray());
        var bundles = new NpgsqlBatchCommand("""
            INSERT INTO log_bundles (bundle_index, entries) SELECT * FROM unnest(@i::bigint[], @e::bytea[])
            ON CONFLICT (bundle_index) DO UPDATE SET entries = excluded.entries;
            """);
        bundles.Parameters.AddWithValue("i", epoch.Append.Bundles.Select(b => b.Index).ToArray());
        bundles.Parameters.AddWithValue("e", epoch.Append.Bundles.Select(b => b.Entries).ToArray());
        var leaves = new NpgsqlBatchCommand("""
            INSERT INTO log_leaves (entry, leaf_index) SELECT * FROM unnest(@e::bytea[], @i::bigint[]) ON CONFLICT DO NOTHING;
            """);
        leaves.Parameters.AddWithValue("e", epoch.Leaves.ToArray());
        leaves.Parameters.AddWithValue("i", Enumerable.Range(0, epoch.Leaves.Count).Select(i => size + i).ToArray());
        // The sealed entries leave the pending set; the others wait for their epoch.
        var sealedEntries = new NpgsqlBatchCommand("DELETE FROM log_pending WHERE entry = ANY(@e);");
        sealedEntries.Parameters.AddWithValue("e", epoch.Leaves.ToArray());
        // A row a previous-version collector wrote during a rolling upgrade loses its report fields here.
        var logged = new NpgsqlBatchCommand("""
            UPDATE commitments SET state = 1, retire = coalesce(retire, period), metric = NULL, period = NULL, value = NULL
            WHERE state = 0 AND commitment = ANY(@c);
            """);
        logged.Parameters.AddWithValue("c", epoch.Leaves.Where(e => e[0] == (byte)LogEntryKind.Report).Select(e => e[1..]).ToArray());
        var checkpoint = new NpgsqlBatchCommand("INSERT INTO log_checkpoints (tree_size, note) VALUES (@n, @note);");
        checkpoint.Parameters.AddWithValue("n", epoch.Append.NewSize);
        checkpoint.Parameters.AddWithValue("note", epoch.Checkpoint);
        var finish = new NpgsqlBatchCommand("UPDATE log_state SET tree_size = @n, pending_posts = 0, epoch = epoch + 1 WHERE singleton = 1;");
        finish.Parameters.AddWithValue("n", epoch.Append.NewSize);
        foreach (var cmd in new[] { tiles, bundles, leaves, sealedEntries, logged, checkpoint, finish })
            batch.BatchCommands.Add(cmd);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        db.SharedWritten();
        return epoch.Append.NewSize;
    }

    public async Task<T> ReadLogAsync<T>(Func<ILogReader, T> read, CancellationToken cancellationToken = default)
    {
        await using var c = await db.DataSource.OpenConnectionAsync(cancellationToken);
        // Read committed, not one snapshot: the key-order rewrite TRUNCATEs log_pending and commitments, and a
        // snapshot taken before it commits sees those tables empty afterwards (TRUNCATE is not MVCC-safe),
        // which answered "not-in-log" for a pending commitment. Nothing is lost by it: tiles, bundles and
        // leaves only grow, and the complete subtrees a proof at the size read first needs never change.
        await using var tx = await c.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);
        return read(new PostgresLogReader(c, PostgresLogReader.ReadSize(c)));
    }
}
