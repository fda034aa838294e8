namespace Candor.Collector.Transparency;

/// <summary>
/// What a store hands the sealer inside its sealing transaction: the log as it stands and every pending
/// entry, in entry order, with its <paramref name="Ages"/>: how many epochs were sealed since the entry
/// arrived (null: all 0). The sealer picks the entries that are due (<see cref="EpochSealer"/>).
/// </summary>
public sealed record PendingEpoch(ILogReader Reader, long Size, IReadOnlyList<byte[]> Entries, IReadOnlyList<long>? Ages = null);

/// <summary>What the store writes back in the same transaction: the leaves in log order (the entries the sealer
/// picked; the others stay pending), the tiles and bundles, the signed checkpoint. No leaves: nothing is written
/// but the epoch count, which moves on (<see cref="None"/>).</summary>
public sealed record SealedEpoch(IReadOnlyList<byte[]> Leaves, LogAppend Append, string Checkpoint)
{
    /// <summary>No entry was due this epoch: the epoch count moves on, no checkpoint is signed.</summary>
    public static SealedEpoch None { get; } = new([], new LogAppend(0, [], []), "");
}

/// <summary>
/// The lifecycle of a commitment the collector holds (column <c>commitments.state</c>). A commitment row
/// holds only what deletion and retention need: the commitment, the app's stored name, the week it retires
/// with (<see cref="CommitmentRetirement"/>) and this state; never the report's metric, period or value
/// (a receipt brings those, and the commitment proves them). A deleted report's row is deleted, not marked
/// (before schema 7 it was kept with state 2 and its value).
/// </summary>
public enum CommitmentState
{
    /// <summary>Its leaf waits for an epoch (SQLite keeps such entries in <c>log_pending</c> until then,
    /// PostgreSQL in <c>commitments</c> with this state).</summary>
    Pending = 0,
    /// <summary>Its report leaf is in the log.</summary>
    Logged = 1,
}

/// <summary>One receipt of a deletion request, its commitment recomputed by the collector from the nonce and the report.</summary>
public sealed record DeletionReceipt(byte[] Commitment, string Metric, string Period, string Value);

public enum DeletionStatus { Deleted, AlreadyDeleted, NotFound, Expired }
