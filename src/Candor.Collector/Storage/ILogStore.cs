using Candor.Collector.Transparency;

namespace Candor.Collector.Storage;

/// <summary>The transparency log's tables: sealed by <see cref="EpochSealer"/>, read by <see cref="LogEndpoints"/>.</summary>
public interface ILogStore
{
    /// <summary>
    /// In one transaction, when the pending set holds entries from at least
    /// <paramref name="minBatches"/> batches, hands it to <paramref name="seal"/> (which orders the
    /// entries and signs the checkpoint) and stores the result: leaves, tiles, bundles, checkpoint; the
    /// sealed entries leave the pending set and their commitments are marked logged. Several collectors may
    /// call it at once: one seals, the others find nothing. Returns the new tree size, or null when nothing was sealed.
    /// </summary>
    Task<long?> SealEpochAsync(int minBatches, Func<PendingEpoch, SealedEpoch> seal, CancellationToken cancellationToken = default);

    /// <summary>Reads the log (tiles, bundles, leaf lookups, checkpoints) through <paramref name="read"/>, in one consistent read.</summary>
    Task<T> ReadLogAsync<T>(Func<ILogReader, T> read, CancellationToken cancellationToken = default);
}
