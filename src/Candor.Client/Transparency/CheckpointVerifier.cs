using System.Text;
using Candor.Transparency;
using Microsoft.Extensions.Logging;

namespace Candor.Client.Transparency;

/// <summary>
/// The log's checkpoint as this device trusts it: the log key (configured, or trusted on first use and
/// kept), the fetched checkpoint checked against its signature and against the newest one this device
/// verified before (never smaller, never another root at the same size, consistent when larger), and the
/// evidence written down when the log misbehaves. Shared by the checks, the comparison and the background step.
/// </summary>
/// <param name="settings">Read live: <see cref="Options.TransparencyLogOptions.Key"/>, the log key shipped with the app, if any.</param>
internal sealed class CheckpointVerifier(Options.TransparencyLogOptions settings, LocalStore.ClientStore store, LocalStore.ClientLog log, Lock local)
{
    public sealed record VerifiedCheckpoint(Checkpoint Checkpoint, string Note);

    /// <summary>The log key: configured (strong), kept from first use, or fetched now and kept (trust on first use).</summary>
    public async Task<(EcdsaNoteKey Key, bool FirstUse)> KeyAsync(LogReader reader, Bookkeeping writes, CancellationToken cancel)
    {
        if (settings.Key is { } configured)
            return NoteVerifierKey.TryParse(configured, out var key, out var why) ? (key!, false) : throw new ArgumentException($"LogKey is not a log verifier key: {why}.");
        string? kept;
        lock (local)
            kept = store.GetState(ReceiptBook.TrustedKeyKey);
        if (kept is not null && NoteVerifierKey.TryParse(kept, out var keptKey, out _))
            return (keptKey!, true);
        var fetched = await reader.KeyAsync(cancel).ConfigureAwait(false);
        if (!NoteVerifierKey.TryParse(fetched, out var first, out var reason))
            throw new InvalidDataException($"The collector's log key cannot be used: {reason}.");
        // Not kept (a full disk): this check still uses it, trusted on first use as the answer says; the next one fetches it again.
        lock (local)
            writes.Keep("keeping the collector's log key", () =>
            {
                store.SetState(ReceiptBook.TrustedKeyKey, fetched);
                log.Write($"Trusting the collector's log key {first!.Name} ({first.KeyId:x8}) on first use; configure LogKey to check it against the key shipped with the app.");
            });
        return (first!, true);
    }

    /// <summary>
    /// Fetches the checkpoint, checks its signature and that it extends the newest checkpoint this device
    /// verified before; keeps it as the newest when it does. On any failure the stored checkpoint stays,
    /// so a later honest checkpoint is still checked against the last good one.
    /// </summary>
    public async Task<(VerifiedCheckpoint? Verified, LogAlarm? Alarm, bool FirstUse)> CheckpointAsync(LogReader reader, Bookkeeping writes, CancellationToken cancel)
    {
        var (key, firstUse) = await KeyAsync(reader, writes, cancel).ConfigureAwait(false);
        var note = await reader.CheckpointAsync(cancel).ConfigureAwait(false);
        string? storedNote;
        lock (local)
            storedNote = store.GetState(ReceiptBook.CheckpointKey);
        if (note is null)
        {
            // No epoch sealed yet: nothing can be proved, and every report is pending (or missing when overdue).
            // A log that had a checkpoint this device saw and now has none was emptied: that is a rollback.
            if (storedNote is not null && Open(storedNote, key, out var had, out _) && had!.Size > 0)
                return (null, Raise(new LogAlarm(LogAlarmKind.SmallerTree,
                    $"the collector says its log has no checkpoint, but this device saw one of {had.Size} leaves: the log was rolled back",
                    Evidence(storedNote, null, null))), firstUse);
            return (new VerifiedCheckpoint(new Checkpoint("(none yet)", 0, MerkleHash.Empty()), ""), null, firstUse);
        }
        if (!Open(note, key, out var checkpoint, out var why))
            return (null, Raise(new LogAlarm(LogAlarmKind.BadSignature, $"the collector's checkpoint is refused: {why}", Evidence(note, null, null))), firstUse);

        if (storedNote is not null && Open(storedNote, key, out var stored, out _))
        {
            if (checkpoint!.Size < stored!.Size)
                return (null, Raise(new LogAlarm(LogAlarmKind.SmallerTree,
                    $"the collector's checkpoint has {checkpoint.Size} leaves, fewer than the {stored.Size} this device saw before: the log was rolled back",
                    Evidence(storedNote, note, null))), firstUse);
            if (checkpoint.Size == stored.Size && !checkpoint.RootHash.AsSpan().SequenceEqual(stored.RootHash))
                return (null, Raise(new LogAlarm(LogAlarmKind.Fork,
                    $"the collector's checkpoint of size {checkpoint.Size} has another root hash than the one this device saw before: the log was rewritten or forked",
                    Evidence(storedNote, note, null))), firstUse);
            if (checkpoint.Size > stored.Size && stored.Size > 0)
            {
                var proof = await reader.ConsistencyAsync(stored.Size, checkpoint.Size, cancel).ConfigureAwait(false);
                if (!MerkleProof.VerifyConsistency(stored.Size, checkpoint.Size, stored.RootHash, checkpoint.RootHash, proof, out var failed))
                    return (null, Raise(new LogAlarm(LogAlarmKind.Fork,
                        $"the collector's checkpoint of size {checkpoint.Size} does not extend the one of size {stored.Size} this device saw before ({failed}): the log was rewritten or forked",
                        Evidence(storedNote, note, ProofText($"consistency proof {stored.Size} -> {checkpoint.Size}", proof)))), firstUse);
            }
        }
        lock (local)
            writes.Keep("keeping the newest checkpoint", () =>
            {
                // Another check may have stored a newer one meanwhile: keep the larger, never go back.
                var current = store.GetState(ReceiptBook.CheckpointKey);
                if (current is null || !Open(current, key, out var now, out _) || now!.Size <= checkpoint!.Size)
                    store.SetState(ReceiptBook.CheckpointKey, note);
            });
        return (new VerifiedCheckpoint(checkpoint!, note), null, firstUse);
    }

    private LogAlarm Raise(LogAlarm alarm)
    {
        lock (local)
            LogAlarmLocally(alarm);
        return alarm;
    }

    /// <summary>The user's local log keeps the evidence; the host's log only the kind (it is not the user's to read).</summary>
    public void LogAlarmLocally(LogAlarm alarm) =>
        log.Write($"The collector's transparency log failed a check ({alarm.Kind}): {alarm.Reason}.\n{alarm.Evidence}", LogLevel.Warning,
            $"The collector's transparency log failed a check ({alarm.Kind}).");

    public static bool Open(string note, EcdsaNoteKey key, out Checkpoint? checkpoint, out string reason)
    {
        checkpoint = null;
        if (!SignedNote.TryOpen(note, [key], out var text, out reason))
            return false;
        return Checkpoint.TryParse(text, out checkpoint, out reason);
    }

    public static string ProofText(string what, IReadOnlyList<byte[]> hashes) =>
        $"{what}:\n" + string.Concat(hashes.Select(h => "  " + Convert.ToBase64String(h) + "\n"));

    public static string Evidence(string firstNote, string? secondNote, string? proof)
    {
        var text = new StringBuilder();
        text.Append(secondNote is null ? "checkpoint served:\n" : "checkpoint seen before:\n").Append(firstNote);
        if (secondNote is not null)
            text.Append("checkpoint served now:\n").Append(secondNote);
        if (proof is not null)
            text.Append(proof);
        return text.ToString().TrimEnd('\n');
    }
}
