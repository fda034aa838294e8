using Candor.Protocol;

namespace Candor.Collector.Storage;

/// <summary>Accepted batches in, raw rows out: what <see cref="Ingest.IngestQueue"/> writes.</summary>
internal interface IIngestStore
{
    /// <summary>Engine name for messages, metrics and the engine's ingest defaults ("sqlite", "postgres").</summary>
    string Engine { get; }

    /// <summary>
    /// Writes a group of batches in one transaction (group commit) and returns one outcome per batch,
    /// in order. When the task completes, every <see cref="AppendOutcomeKind.Stored"/> batch is durable.
    /// If the task throws, nothing of the group was stored. The checks run in the order of
    /// <see cref="AppendOutcomeKind"/>: replay, known commitment, spent token; a refused batch leaves nothing behind.
    /// </summary>
    Task<AppendOutcome[]> AppendGroupAsync(IReadOnlyList<AppendRequest> group, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="AppendGroupAsync(IReadOnlyList{AppendRequest}, CancellationToken)"/> told whether more batches
    /// are waiting or in flight. When they are, the group may append its summed cells to the cell journal as
    /// one row instead of upserting them (<see cref="CellJournalPolicy.ShouldJournal"/>); durability is the same
    /// (the row commits and syncs with the group). When none are, or a fold is due, the group writes its own
    /// cells, and folds the journal in the same transaction when a fold is due (<see cref="CellJournalPolicy.ShouldFold"/>;
    /// an unreadable row rolls only the fold back). Without the flag, a group writes its cells (nothing waiting).
    /// </summary>
    Task<AppendOutcome[]> AppendGroupAsync(IReadOnlyList<AppendRequest> group, bool moreWaiting, CancellationToken cancellationToken = default);

    /// <summary>
    /// Folds the cell journal: deletes its rows and adds their summed cells to raw_reports and rollups, in one
    /// transaction, so the rows a fold deletes are exactly the rows it adds (another collector's too). Returns
    /// the rows folded. Run before anything that reads or changes cells as a whole (deletion, retention,
    /// releases, the key-order rewrite), at start-up and when ingest stops.
    /// </summary>
    /// <exception cref="CellJournalCorruptException">A row cannot be read; nothing was folded.</exception>
    Task<int> FoldJournalAsync(CancellationToken cancellationToken = default);

    /// <summary>The journal's fold policy and counters.</summary>
    CellJournalPolicy Journal { get; }

    /// <summary>Raw rows of one app, ordered by metric, period, value.</summary>
    Task<IReadOnlyList<RawRow>> ReadRawAsync(string app, CancellationToken cancellationToken = default);
}

/// <summary>
/// A Privacy Pass token being redeemed with a batch: its key id and nonce, nothing else. Stored in
/// its own table, never linked to report rows; a second batch with the same pair is refused.
/// </summary>
public sealed record SpentToken(byte[] KeyId, byte[] Nonce);

/// <summary>One batch to store: its canonical reports and, if the client sent one, its idempotency key.</summary>
/// <param name="IdempotencyKey">SHA-256 of app and the client's key; null when the client sent none.</param>
/// <param name="BodyMac">HMAC-SHA-256 of the decoded body under a key derived from the client's own
/// Idempotency-Key (<see cref="Ingest.IdempotencyFingerprint"/>), to tell a true retry from a reused key.
/// The key is never stored, so the database alone cannot test a guess of the body.</param>
/// <param name="Response">The answer to give now and to every retry with the same key.</param>
/// <param name="Today">The UTC day the key is first seen, the only time kept with it.</param>
/// <param name="Token">The Privacy Pass token redeemed with this batch, spent in the same transaction; null when none.</param>
internal sealed record AppendRequest(string App, IReadOnlyList<ValidatedReport> Reports, byte[]? IdempotencyKey,
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

/// <summary>One distinct report and how many times it was received.</summary>
public sealed record RawRow(string App, string Metric, string Period, string Value, long Reports);
