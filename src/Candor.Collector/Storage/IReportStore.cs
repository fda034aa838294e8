using Candor.Collector.Transparency;
using Candor.Protocol;

namespace Candor.Collector.Storage;

/// <summary>
/// Where accepted reports live. One contract, several engines (SQLite now, PostgreSQL next), one shared
/// contract test suite (tests/Candor.Tests/Storage/ReportStoreContract.cs) that every engine must pass.
///
/// Privacy rules every engine keeps (DESIGN.md invariants 4 and 5):
/// - a raw row is one distinct report, (app, metric, period, value), with the number of times it was
///   received: no batch id, no receive time, no address, and no per-report key or position at all,
///   so nothing in storage order can show which reports arrived together (docs/privacy.md explains
///   why counts replace the random-keyed rows DESIGN.md suggested);
/// - idempotency keys live in their own table and are never linked to rows, and nothing stored with
///   a key lets anyone holding the database test a guess of the batch's content (<see cref="AppendRequest.BodyMac"/>);
/// - physical order carries no information once <see cref="RewriteInKeyOrderAsync"/> has run, and
///   deleted rows are overwritten, not just unlinked (docs/privacy.md, "An attacker with the database files").
/// </summary>
public interface IReportStore : IAsyncDisposable
{
    /// <summary>Engine name for messages and metrics ("sqlite", "postgres").</summary>
    string Engine { get; }

    /// <summary>Creates or upgrades the schema. Refuses a database written by a newer Candor.</summary>
    Task MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a group of batches in one transaction (group commit) and returns one outcome per batch,
    /// in order. When the task completes, every <see cref="AppendOutcomeKind.Stored"/> batch is durable.
    /// If the task throws, nothing of the group was stored.
    /// </summary>
    Task<AppendOutcome[]> AppendGroupAsync(IReadOnlyList<AppendRequest> group, CancellationToken cancellationToken = default);

    /// <summary>Remembers a registry version, so that clients on older versions keep validating after restarts.</summary>
    Task SaveRegistryAsync(StoredRegistry registry, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<StoredRegistry>> LoadRegistriesAsync(CancellationToken cancellationToken = default);

    /// <summary>Rollup cells of one app (optionally one metric), ordered by metric, period, value.</summary>
    Task<IReadOnlyList<RollupCell>> ReadRollupsAsync(string app, string? metric = null, CancellationToken cancellationToken = default);

    /// <summary>Rollup cells of one metric whose period lies in [fromPeriod, toPeriod] (period keys of one kind compare as text).</summary>
    Task<IReadOnlyList<RollupCell>> ReadRollupsAsync(string app, string metric, string fromPeriod, string toPeriod, CancellationToken cancellationToken = default);

    /// <summary>Stored releases of one metric whose period lies in [fromPeriod, toPeriod], ordered by period.</summary>
    Task<IReadOnlyList<StoredRelease>> ReadReleasesAsync(string app, string metric, string fromPeriod, string toPeriod, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores releases whose (app, metric, period) has none yet; an existing release is never replaced
    /// (published figures are frozen, and when two collectors release a period at once the first wins).
    /// </summary>
    Task SaveReleasesAsync(IReadOnlyList<StoredRelease> releases, CancellationToken cancellationToken = default);

    /// <summary>Raw rows of one app, ordered by metric, period, value.</summary>
    Task<IReadOnlyList<RawRow>> ReadRawAsync(string app, CancellationToken cancellationToken = default);

    /// <summary>
    /// Forgets idempotency keys first seen before <paramref name="firstSeenBefore"/>. When the task
    /// completes, the forgotten keys' bytes are overwritten in the database files, not only unlinked.
    /// </summary>
    Task<int> PurgeIdempotencyKeysAsync(DateOnly firstSeenBefore, CancellationToken cancellationToken = default);

    /// <summary>
    /// Retention (privacy invariant 8): deletes the raw rows of <paramref name="app"/> whose period lies
    /// entirely before <paramref name="purgedBefore"/> (the period's end is on or before that day); rollups
    /// stay. When rows were deleted, the purge is added to the purge log under <paramref name="today"/>.
    /// Safe to run from several collectors at once: each row is counted by the one purge that deleted it.
    /// When the task completes, the deleted rows' bytes are overwritten in the database files.
    /// </summary>
    Task<PurgeRecord> PurgeRawAsync(string app, DateOnly purgedBefore, DateOnly today, CancellationToken cancellationToken = default);

    /// <summary>The purge log of one app, oldest first.</summary>
    Task<IReadOnlyList<PurgeRecord>> ReadPurgesAsync(string app, CancellationToken cancellationToken = default);

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

    /// <summary>
    /// Privacy invariant 9: rewrites the tables written since the last rewrite (every table when
    /// <paramref name="force"/>) in primary-key order, in one place each, and drops the old copies, so
    /// that no physical order, dump order, unordered scan or row version tells which cells were written
    /// together. Rows written after it returns are in write order again until the next rewrite
    /// (<see cref="Hosting.StorageRewriter"/>, every <see cref="CollectorOptions.RewriteIntervalSeconds"/>).
    /// Returns false when nothing needed rewriting (or another collector was rewriting).
    /// </summary>
    Task<bool> RewriteInKeyOrderAsync(bool force = false, CancellationToken cancellationToken = default);

    /// <summary>
    /// Transparency log: in one transaction, when the pending set holds entries from at least
    /// <paramref name="minBatches"/> batches, hands it to <paramref name="seal"/> (which orders the
    /// entries and signs the checkpoint) and stores the result: leaves, tiles, bundles, checkpoint; the
    /// pending set is emptied and its commitments marked logged. Several collectors may call it at once:
    /// one seals, the others find nothing. Returns the new tree size, or null when nothing was sealed.
    /// </summary>
    Task<long?> SealEpochAsync(int minBatches, Func<PendingEpoch, SealedEpoch> seal, CancellationToken cancellationToken = default);

    /// <summary>Reads the log (tiles, bundles, leaf lookups, checkpoints) through <paramref name="read"/>, in one consistent read.</summary>
    Task<T> ReadLogAsync<T>(Func<ILogReader, T> read, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletion by receipt, all receipts in one transaction: a receipt whose commitment is held, for the
    /// same report, and not deleted yet takes one report off the raw and rollup counts of its
    /// (app, metric, period, value) (never off a release already published), marks the commitment
    /// deleted and adds a deletion entry to the pending set. <paramref name="storedApp"/> is how
    /// the store names the app's rows. One status per receipt, in order.
    /// </summary>
    Task<IReadOnlyList<DeletionStatus>> DeleteByReceiptAsync(string storedApp, IReadOnlyList<DeletionReceipt> receipts, CancellationToken cancellationToken = default);
}

/// <summary>
/// A Privacy Pass token being redeemed with a batch: its key id and nonce, nothing else. Stored in
/// its own table, never linked to report rows; a second batch with the same pair is refused.
/// </summary>
public sealed record SpentToken(byte[] KeyId, byte[] Nonce);

/// <summary>One line of the purge log: on <paramref name="Day"/> (UTC), the raw rows of periods before
/// <paramref name="PurgedBefore"/> were deleted: <paramref name="RawRows"/> rows holding <paramref name="Reports"/> reports.</summary>
public sealed record PurgeRecord(string App, DateOnly Day, DateOnly PurgedBefore, long RawRows, long Reports);

/// <summary>One batch to store: its canonical reports and, if the client sent one, its idempotency key.</summary>
/// <param name="IdempotencyKey">SHA-256 of app and the client's key; null when the client sent none.</param>
/// <param name="BodyMac">HMAC-SHA-256 of the decoded body under a key derived from the client's own
/// Idempotency-Key (<see cref="Ingest.IdempotencyFingerprint"/>), to tell a true retry from a reused key.
/// The key is never stored, so the database alone cannot test a guess of the body.</param>
/// <param name="Response">The answer to give now and to every retry with the same key.</param>
/// <param name="Today">The UTC day the key is first seen, the only time kept with it.</param>
/// <param name="Token">The Privacy Pass token redeemed with this batch, spent in the same transaction; null when none.</param>
public sealed record AppendRequest(string App, IReadOnlyList<ValidatedReport> Reports, byte[]? IdempotencyKey,
    byte[]? BodyMac, IngestResponse Response, DateOnly Today, SpentToken? Token = null);

/// <summary>The 202 answer: how many reports were accepted and when to report next.</summary>
public sealed record IngestResponse(int Accepted, long NextReportAfterSeconds);

public enum AppendOutcomeKind
{
    /// <summary>Stored now; durable.</summary>
    Stored,
    /// <summary>A retry of a batch stored before with the same key and body (or a key stored before
    /// fingerprints were keyed, whose body cannot be compared): nothing new was stored.</summary>
    Replayed,
    /// <summary>The key was used before with a different body: nothing was stored.</summary>
    KeyReused,
    /// <summary>The batch's Privacy Pass token was spent before (double spend): nothing was stored.</summary>
    TokenSpent,
    /// <summary>A report's commitment is already known to the collector (an earlier batch, or an earlier
    /// batch of this group): nothing was stored. <see cref="AppendOutcome.KnownCommitments"/> lists the reports.</summary>
    CommitmentKnown,
}

/// <param name="KnownCommitments">For <see cref="AppendOutcomeKind.CommitmentKnown"/>: the indices of the reports whose commitment was known.</param>
public readonly record struct AppendOutcome(AppendOutcomeKind Kind, IngestResponse Response, IReadOnlyList<int>? KnownCommitments = null);

public sealed record StoredRegistry(string App, int Version, string Yaml, string Sha256);

/// <summary>
/// Counts for one (app, metric, period, value). <see cref="Reports"/> is how many reports carried the
/// value (for a histogram: had this bucket); <see cref="Total"/> is the observations (equal to
/// Reports for every type but histograms, where it is the sum of the bucket's counts).
/// </summary>
public sealed record RollupCell(string App, string Metric, string Period, string Value, long Reports, long Total);

/// <summary>A period's published figures, frozen: <paramref name="Document"/> is a <see cref="Publishing.ReleaseDocument"/> as JSON.</summary>
public sealed record StoredRelease(string App, string Metric, string Period, DateOnly ReleasedOn, string Document);

/// <summary>One distinct report and how many times it was received.</summary>
public sealed record RawRow(string App, string Metric, string Period, string Value, long Reports);
