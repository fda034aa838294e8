using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// The cell journal on PostgreSQL (<see cref="CellJournal"/>): a journaled group inserts one row; a fold takes
/// rows with <c>DELETE ... RETURNING</c> over <c>FOR UPDATE SKIP LOCKED</c>, so several collectors may fold at
/// once and each row is added by exactly the transaction that deletes it: a row another fold holds is skipped
/// (that fold adds it, or gives it back by rolling back), and a row still being inserted is not seen yet
/// (its own collector folds it later). A crashed collector's rows are folded by anyone's next fold.
/// Folded rows stay as dead tuples until the key-order rewrite truncates the table (<see cref="PostgresRewrite"/>).
/// </summary>
internal sealed class PostgresJournal(PostgresDatabase db)
{
    public CellJournalPolicy Policy { get; } = new();

    public static void AddAppend(NpgsqlBatch batch, GroupDelta delta)
    {
        var cmd = new NpgsqlBatchCommand("INSERT INTO cell_journal (delta) VALUES (@delta);");
        cmd.Parameters.AddWithValue("delta", CellJournal.Serialize(delta));
        batch.BatchCommands.Add(cmd);
    }

    /// <summary>Deletes the rows no other fold holds and returns their cells summed with <paramref name="live"/>'s, and how many rows went.</summary>
    public static async Task<(GroupDelta Sum, int Rows)> TakeAsync(NpgsqlConnection c, GroupDelta? live, CancellationToken cancellationToken)
    {
        var rows = new List<(long Id, byte[] Delta)>();
        await using (var take = new NpgsqlCommand("""
            DELETE FROM cell_journal WHERE id IN (SELECT id FROM cell_journal ORDER BY id FOR UPDATE SKIP LOCKED)
            RETURNING id, delta;
            """, c))
        await using (var r = await take.ExecuteReaderAsync(cancellationToken))
            while (await r.ReadAsync(cancellationToken))
                rows.Add((r.GetInt64(0), (byte[])r.GetValue(1)));
        return (CellJournal.Sum(live, rows), rows.Count);
    }

    /// <summary>A fold on its own: delete, sum and upsert in one transaction.</summary>
    public Task<int> FoldAsync(CancellationToken cancellationToken) => PostgresDatabase.RetryAsync(async () =>
    {
        await using var c = await db.DataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        long mark = Policy.BeginFold();
        var (sum, rows) = await TakeAsync(c, null, cancellationToken);
        if (rows > 0)
        {
            // The rows' partitions exist: the collector that journaled them created them before its group.
            await using var batch = new NpgsqlBatch(c);
            PostgresIngest.AddCellUpserts(batch, sum);
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        if (rows > 0)
        {
            db.SharedWritten();
            foreach (var cell in sum.Raw.Keys)
                db.RawWritten(cell.Period);
        }
        Policy.Folded(mark, rows);
        return rows;
    }, cancellationToken);
}
