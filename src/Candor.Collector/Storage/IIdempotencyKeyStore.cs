namespace Candor.Collector.Storage;

/// <summary>The idempotency keys <see cref="IIngestStore.AppendGroupAsync"/> remembers, and their end (<see cref="Ingest.IdempotencyKeyJanitor"/>).</summary>
public interface IIdempotencyKeyStore
{
    /// <summary>
    /// Forgets idempotency keys first seen before <paramref name="firstSeenBefore"/>. When the task
    /// completes, the forgotten keys' bytes are overwritten in the database files, not only unlinked.
    /// </summary>
    Task<int> PurgeIdempotencyKeysAsync(DateOnly firstSeenBefore, CancellationToken cancellationToken = default);
}
