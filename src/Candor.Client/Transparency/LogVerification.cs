namespace Candor.Client.Transparency;

/// <summary>
/// The outcome of checking receipts against the collector's log: the checkpoint that was verified (signed
/// by the log key and consistent with the newest one this device saw before), each receipt's verdict, and
/// an alarm with evidence when the log misbehaved (then no receipt is checked against the bad checkpoint).
/// </summary>
/// <param name="CheckpointSize">The verified checkpoint's tree size (0 when none could be verified).</param>
/// <param name="SignedCheckpoint">The verified checkpoint as the signed note the collector served.</param>
/// <param name="TrustOnFirstUse">True when the log key was not configured but fetched from the collector and kept (weaker).</param>
/// <param name="Disclosure">What these lookups told the collector, in words (docs/privacy.md).</param>
public sealed record LogVerification(
    ulong CheckpointSize,
    string? SignedCheckpoint,
    bool TrustOnFirstUse,
    LogAlarm? Alarm,
    IReadOnlyList<ReceiptCheck> Receipts,
    string Disclosure)
{
    /// <summary>
    /// True when the local store could not be read or written during the check (a full disk, a data directory
    /// that could not be created), never a verdict about the log. With no receipts checked and
    /// <see cref="CheckpointSize"/> 0, nothing could be checked: the receipts or the newest checkpoint this
    /// device saw could not be read. With receipts, their verdicts are real, but the device could not remember
    /// what it learnt (the newest checkpoint, inclusion marks, a log key trusted on first use); the next check
    /// once the disk has room does.
    /// </summary>
    public bool LocalStoreUnavailable { get; init; }
}
