namespace Candor.Collector.Storage;

/// <summary>Privacy Pass state shared by every issuer and collector process on the database (PrivacyPass/).</summary>
public interface ITokenStore
{
    /// <summary>
    /// Forgets the spent Privacy Pass tokens of every key not in <paramref name="keepKeyIds"/>: a token
    /// under a rotated-out key is refused as expired anyway, so the double-spend store is bounded by
    /// the keys still accepted (one key epoch and its successor).
    /// </summary>
    Task<int> PurgeSpentTokensAsync(IReadOnlyCollection<byte[]> keepKeyIds, CancellationToken cancellationToken = default);

    /// <summary>How many spent tokens are remembered (tests and the operator's health view).</summary>
    Task<long> CountSpentTokensAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes <paramref name="tokens"/> from a client's issuance budget for <paramref name="period"/> in one
    /// atomic statement; false (and nothing taken) when it would pass <paramref name="budget"/>. Every issuer
    /// process on this database shares the count, and it survives restarts.
    /// </summary>
    Task<bool> TryTakeIssuanceBudgetAsync(long period, byte[] partition, int tokens, int budget, CancellationToken cancellationToken = default);

    /// <summary>Deletes the budget rows of periods before <paramref name="period"/>: nothing about who asked outlives its period.</summary>
    Task<int> PurgeIssuanceBudgetsAsync(long period, CancellationToken cancellationToken = default);
}
