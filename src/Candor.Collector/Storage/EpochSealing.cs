using System.Data.Common;
using Candor.Collector.Transparency;

namespace Candor.Collector.Storage;

/// <summary>
/// The decisions of sealing an epoch, the same on both engines (<see cref="ILogStore.SealEpochAsync"/>): below
/// the minimum of batches nothing is sealed and nothing moves; the sealer sees the pending entries in entry
/// order, never the order they arrived in; when none of them is due the epoch count moves on and nothing is
/// signed. The engines read the batch count their own way (PostgreSQL locks the state row, so a second collector
/// sealing at once waits and then finds nothing) and write the sealed epoch with their own statements.
/// </summary>
internal static class EpochSealing
{
    /// <summary>Each entry's age: epochs sealed since it arrived (it is due within K of them: <see cref="EpochSealer.IsDue"/>).</summary>
    private const string ReadPending = "SELECT entry, (SELECT epoch FROM log_state WHERE singleton = 1) - arrived FROM log_pending ORDER BY entry;";

    private const string Advance = "UPDATE log_state SET epoch = epoch + 1, pending_posts = 0 WHERE singleton = 1;";

    /// <summary>
    /// Null: nothing to do (roll back or commit, nothing changed). An epoch without leaves: the epoch count moved
    /// on in <paramref name="tx"/> (commit it). Otherwise the epoch to write at tree size
    /// <c>Append.NewSize - Leaves.Count</c>, then commit.
    /// </summary>
    /// <param name="readBatches">SQL returning the batches that added entries since the last epoch (<c>log_state.pending_posts</c>).</param>
    /// <param name="reader">The log as it stands, inside <paramref name="tx"/>; asked for only when there is something to seal.</param>
    public static async Task<SealedEpoch?> DecideAsync(DbConnection c, DbTransaction tx, string readBatches, Func<ILogReader> reader,
        int minBatches, Func<PendingEpoch, SealedEpoch> seal, CancellationToken cancellationToken)
    {
        await using (var state = Command(c, tx, readBatches))
            if ((long)(await state.ExecuteScalarAsync(cancellationToken))! < minBatches)
                return null;
        var entries = new List<byte[]>();
        var ages = new List<long>();
        await using (var pending = Command(c, tx, ReadPending))
        await using (var r = await pending.ExecuteReaderAsync(cancellationToken))
            while (await r.ReadAsync(cancellationToken))
            {
                entries.Add((byte[])r.GetValue(0));
                ages.Add(r.GetInt64(1));
            }
        if (entries.Count == 0)
            return null;
        var log = reader();
        var epoch = seal(new PendingEpoch(log, log.TreeSize, entries, ages));
        if (epoch.Leaves.Count == 0)
        {
            // Nothing due: the epoch count moves on (so entries age towards their epoch), nothing is signed.
            await using var advance = Command(c, tx, Advance);
            await advance.ExecuteNonQueryAsync(cancellationToken);
        }
        return epoch;
    }

    private static DbCommand Command(DbConnection c, DbTransaction tx, string sql)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return cmd;
    }
}
