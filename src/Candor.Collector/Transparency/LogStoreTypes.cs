namespace Candor.Collector.Transparency;

/// <summary>What a store hands the sealer inside its sealing transaction: the log as it stands and the pending entries.</summary>
public sealed record PendingEpoch(ILogReader Reader, long Size, IReadOnlyList<byte[]> Entries);

/// <summary>What the store writes back in the same transaction: the leaves in log order, the tiles and bundles, the signed checkpoint.</summary>
public sealed record SealedEpoch(IReadOnlyList<byte[]> Leaves, LogAppend Append, string Checkpoint);

/// <summary>The lifecycle of a commitment the collector holds (column <c>commitments.state</c>).</summary>
public enum CommitmentState
{
    /// <summary>Stored with its report; its leaf waits for the next epoch (SQLite keeps such reports in
    /// <c>log_pending</c> until the epoch is sealed, PostgreSQL in <c>commitments</c> with this state).</summary>
    Pending = 0,
    /// <summary>Its report leaf is in the log.</summary>
    Logged = 1,
    /// <summary>Deleted by receipt: its report no longer counts; a deletion leaf is (or will be) in the log.</summary>
    Deleted = 2,
}

/// <summary>One receipt of a deletion request, its commitment recomputed by the collector from the nonce and the report.</summary>
public sealed record DeletionReceipt(byte[] Commitment, string Metric, string Period, string Value);

public enum DeletionStatus { Deleted, AlreadyDeleted, NotFound, Expired }
