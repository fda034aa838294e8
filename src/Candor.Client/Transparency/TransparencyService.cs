using System.Text;
using Candor.Client.Consent;
using Candor.Client.LocalStore;
using Candor.Client.Transport;
using Candor.Client.Upload;
using Candor.Transparency;
using Microsoft.Extensions.Logging;

namespace Candor.Client.Transparency;

/// <summary>
/// The user's side of the transparency log (docs/transparency.md): checks that each report the device sent
/// is in the collector's log, that every checkpoint is signed by the log key and extends the newest one
/// this device saw before, and compares checkpoints seen elsewhere (deletion by receipt is <see cref="ReceiptDeleter"/>'s).
/// Network work runs with no lock held; receipts and the stored checkpoint change under the client's local lock.
/// </summary>
/// <remarks>
/// The checks the user asks for (<see cref="VerifyAsync"/>) run whatever the consent state: they concern
/// reports already sent, and the user must be able to check those after saying no. The background check
/// (<see cref="VerifyNextIfDueAsync"/>) runs only with consent, and looks up one receipt per request at
/// independent random times, so the lookups of one device are not sent together.
/// </remarks>
/// <param name="transport">Null without a collector: there is no log to check.</param>
/// <param name="checkpoints">The log's checkpoint as this device trusts it.</param>
/// <param name="options">Read live: the transparency log's settings (<see cref="CandorClientOptions.TransparencyLog"/>),
/// <see cref="CandorClientOptions.Random"/> for the check moments, and the transport settings the disclosure names.</param>
internal sealed class TransparencyService(ConsentGate consent, ClientTransport? transport, CheckpointVerifier checkpoints, ReceiptBook book,
    StorageFault fault, ClientLog log, CandorClientOptions options, TimeProvider time, Lock local)
{
    private readonly SemaphoreSlim _oneCheck = new(1, 1);

    public IReadOnlyList<Receipt> Receipts()
    {
        lock (local)
            return book.All();
    }

    /// <summary>Checks every sent receipt at once against a freshly verified checkpoint.</summary>
    /// <remarks>
    /// A store that cannot be read answers <see cref="LogVerification.LocalStoreUnavailable"/> with nothing
    /// checked (no receipt is looked up without them); writes it refuses leave the verdicts real and say so.
    /// </remarks>
    public async Task<LogVerification> VerifyAsync(CancellationToken cancel)
    {
        var reader = Reader();
        var writes = new Bookkeeping(fault);
        await _oneCheck.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            var (verified, alarm, tofu) = await checkpoints.CheckpointAsync(reader, writes, cancel).ConfigureAwait(false);
            List<Receipt> receipts;
            lock (local)
                receipts = book.All().Where(r => r.SentAt is not null).ToList();
            // Refused checkpoint: no receipt is looked up against it, so nothing about them was revealed.
            if (alarm is not null)
                return new LogVerification(0, null, tofu, alarm, [], Disclosure(0)) { LocalStoreUnavailable = writes.Failed };
            var disclosure = Disclosure(verified!.Checkpoint.Size == 0 ? 0 : receipts.Count);
            var checks = new List<ReceiptCheck>();
            foreach (var receipt in receipts)
            {
                var check = await CheckAsync(reader, receipt, verified!, writes, cancel).ConfigureAwait(false);
                checks.Add(check);
                alarm ??= check.Verdict == ReceiptVerdict.ProofFailed
                    ? new LogAlarm(LogAlarmKind.InclusionProofFailed, check.Detail, CheckpointVerifier.Evidence(verified!.Note, null, check.Detail))
                    : null;
            }
            if (alarm is not null)
                lock (local)
                    checkpoints.LogAlarmLocally(alarm);
            return new LogVerification(verified!.Checkpoint.Size, verified.Note.Length == 0 ? null : verified.Note, tofu, alarm, checks, disclosure)
                { LocalStoreUnavailable = writes.Failed };
        }
        catch (Exception e) when (StorageFault.IsStorageError(e))
        {
            fault.Failed("checking reports in the transparency log", e);
            return new LogVerification(0, null, false, null, [], "Nothing was checked: the local store cannot be read, so no receipt was looked up.")
                { LocalStoreUnavailable = true };
        }
        finally
        {
            _oneCheck.Release();
        }
    }

    /// <summary>
    /// The background step: with consent, checks the one receipt whose random check time has come first
    /// (one lookup per call, so one device's lookups never travel together). Null when nothing was due.
    /// </summary>
    public async Task<ReceiptCheck?> VerifyNextIfDueAsync(CancellationToken cancel)
    {
        if (transport is null || !options.ReportCommitments)
            return null;
        Receipt? due;
        lock (local)
        {
            if (!consent.IsGranted)
                return null;
            due = book.NextDue(time.GetUtcNow());
        }
        if (due is null || !await _oneCheck.WaitAsync(0, cancel).ConfigureAwait(false))
            return null;
        try
        {
            var reader = Reader();
            var writes = new Bookkeeping(fault);
            var (verified, alarm, _) = await checkpoints.CheckpointAsync(reader, writes, cancel).ConfigureAwait(false);
            if (alarm is not null)
            {
                lock (local)
                    book.SetCheckAt(due.Commitment, time.GetUtcNow() + UploadSchedule.Between(options.LogMissingAfter, options.LogMissingAfter + options.LogCheckWindow, options.Random));
                return new ReceiptCheck(due, ReceiptVerdict.ProofFailed, null, null, alarm.Reason);
            }
            var check = await CheckAsync(reader, due, verified!, writes, cancel).ConfigureAwait(false);
            lock (local)
            {
                var now = time.GetUtcNow();
                // Pending: look again later, at a new random time. Anything else is an answer; a missing
                // report or a failed proof is written to the user's log with its evidence.
                book.SetCheckAt(due.Commitment, check.Verdict == ReceiptVerdict.Pending
                    ? now + UploadSchedule.Between(options.LogMissingAfter / 2, options.LogMissingAfter + options.LogCheckWindow, options.Random)
                    : null);
                if (check.Verdict is ReceiptVerdict.Missing)
                    log.Write($"A report sent on {due.SentAt:yyyy-MM-dd} ({due.Metric}, {due.Period}) is not in the collector's log: {check.Detail}", LogLevel.Warning,
                        "A report this device sent is not in the collector's log.");
                if (check.Verdict is ReceiptVerdict.ProofFailed)
                    checkpoints.LogAlarmLocally(new LogAlarm(LogAlarmKind.InclusionProofFailed, check.Detail, CheckpointVerifier.Evidence(verified!.Note, null, check.Detail)));
            }
            return check;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidOperationException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            // An unreachable collector or an unreadable answer: try this receipt again at a new random time,
            // rather than at every tick (which would also make the retries of one device line up).
            lock (local)
            {
                book.SetCheckAt(due.Commitment, time.GetUtcNow() + UploadSchedule.Between(options.LogMissingAfter / 2, options.LogMissingAfter + options.LogCheckWindow, options.Random));
                log.Write($"Checking a report in the collector's log failed; it will be tried again later: {e.GetType().Name}: {e.Message}", LogLevel.Warning,
                    $"Checking a report in the collector's log failed ({e.GetType().Name}).");
            }
            return null;
        }
        finally
        {
            _oneCheck.Release();
        }
    }

    /// <summary>
    /// Compares a checkpoint seen elsewhere (another device, a mirror, a witness) with the newest one this
    /// device verified: the same size must have the same root, and the smaller must be a prefix of the
    /// larger (a consistency proof from the collector). A checkpoint the log key did not sign proves nothing.
    /// </summary>
    /// <remarks>A store that cannot be read answers <see cref="CheckpointComparison.LocalStoreUnavailable"/> with nothing compared.</remarks>
    public async Task<CheckpointComparison> CompareAsync(string otherNote, CancellationToken cancel)
    {
        var writes = new Bookkeeping(fault);
        try
        {
            return await CompareCheckpointsAsync(otherNote, writes, cancel).ConfigureAwait(false) with { LocalStoreUnavailable = writes.Failed };
        }
        catch (Exception e) when (StorageFault.IsStorageError(e))
        {
            fault.Failed("comparing checkpoints", e);
            return new CheckpointComparison(false, 0, 0, "Nothing was compared: the local store cannot be read, so this device's newest checkpoint is unknown.", null)
                { LocalStoreUnavailable = true };
        }
    }

    private async Task<CheckpointComparison> CompareCheckpointsAsync(string otherNote, Bookkeeping writes, CancellationToken cancel)
    {
        var reader = Reader();
        var (verified, alarm, _) = await checkpoints.CheckpointAsync(reader, writes, cancel).ConfigureAwait(false);
        if (alarm is not null)
            return new CheckpointComparison(false, 0, 0, alarm.Reason, alarm);
        var key = await checkpoints.KeyAsync(reader, writes, cancel).ConfigureAwait(false);
        if (!CheckpointVerifier.Open(otherNote, key.Key, out var other, out var why))
            return new CheckpointComparison(false, verified!.Checkpoint.Size, 0, $"The other checkpoint cannot be used: {why}.", null);
        var mine = verified!;
        if (mine.Checkpoint.Size == 0)
            return new CheckpointComparison(false, 0, other!.Size, "The collector has no checkpoint yet to compare with.", null);
        var (small, large) = mine.Checkpoint.Size <= other!.Size ? (mine.Checkpoint, other) : (other, mine.Checkpoint);
        string? reason = null;
        IReadOnlyList<byte[]>? proof = null;
        if (small.Size == large.Size)
        {
            if (!small.RootHash.AsSpan().SequenceEqual(large.RootHash))
                reason = $"two checkpoints of size {small.Size} with different root hashes: the log shows different histories to different people";
        }
        else if (small.Size > 0)
        {
            try
            {
                proof = await reader.ConsistencyAsync(small.Size, large.Size, cancel).ConfigureAwait(false);
                if (!MerkleProof.VerifyConsistency(small.Size, large.Size, small.RootHash, large.RootHash, proof, out var failed))
                    reason = $"the checkpoints of sizes {small.Size} and {large.Size} are not consistent ({failed})";
            }
            catch (HttpRequestException e) when (ReferenceEquals(large, other) && e.StatusCode is not null && (int)e.StatusCode < 500)
            {
                // The other checkpoint is larger than the log the collector just served, and it refuses to prove the
                // way there: its key signed a tree it does not show this device. That is the fork (this
                // used to end as an error, the evidence lost); a 5xx or no answer stays an error, to be retried.
                reason = $"the log key signed a checkpoint of size {large.Size}, but the collector serves {small.Size} leaves to this device and no consistency proof to it ({e.Message})";
            }
        }
        if (reason is null)
            return new CheckpointComparison(true, mine.Checkpoint.Size, other.Size,
                $"Consistent: this device's checkpoint (size {mine.Checkpoint.Size}) and the other (size {other.Size}) show one history.", null);
        var fork = new LogAlarm(LogAlarmKind.Fork, reason, CheckpointVerifier.Evidence(mine.Note, otherNote, proof is null ? null : CheckpointVerifier.ProofText("consistency proof", proof)));
        lock (local)
            checkpoints.LogAlarmLocally(fork);
        return new CheckpointComparison(false, mine.Checkpoint.Size, other.Size, "Fork: " + reason + ".", fork);
    }

    private LogReader Reader() => LogReader.Over(transport);

    private async Task<ReceiptCheck> CheckAsync(LogReader reader, Receipt receipt, CheckpointVerifier.VerifiedCheckpoint verified, Bookkeeping writes, CancellationToken cancel)
    {
        var size = verified.Checkpoint.Size;
        var kind = receipt.DeletedAt is null ? LogEntryKind.Report : LogEntryKind.Deletion;
        if (!ReportCommitment.TryDecode(receipt.Commitment, out var commitment))
            return new ReceiptCheck(receipt, ReceiptVerdict.Missing, null, null, "the receipt's commitment is damaged on this device");
        var answer = size == 0
            ? new InclusionAnswer(InclusionState.Pending, 0, 0, [])
            : await reader.InclusionAsync(receipt.Commitment, size, kind, cancel).ConfigureAwait(false);
        if (answer.State == InclusionState.Found)
        {
            var leaf = new Candor.Transparency.LogEntry(kind, commitment).LeafHash();
            if (answer.TreeSize != size)
                return new ReceiptCheck(receipt, ReceiptVerdict.ProofFailed, null, null,
                    $"the proof for {receipt.Commitment} is for a tree of {answer.TreeSize} leaves, not the checkpoint's {size}");
            if (!MerkleProof.VerifyInclusion(answer.LeafIndex, size, leaf, answer.Hashes, verified.Checkpoint.RootHash, out var why))
                return new ReceiptCheck(receipt, ReceiptVerdict.ProofFailed, (long)answer.LeafIndex, (long)size,
                    $"the inclusion proof of {receipt.Commitment} at leaf {answer.LeafIndex} fails against the checkpoint of size {size}: {why}\n"
                    + CheckpointVerifier.ProofText("inclusion proof", answer.Hashes));
            if (kind == LogEntryKind.Deletion)
                return new ReceiptCheck(receipt, ReceiptVerdict.Deleted, (long)answer.LeafIndex, (long)size,
                    $"deleted; the deletion is leaf {answer.LeafIndex} of the log (checkpoint size {size})");
            lock (local)
                writes.Keep("marking a receipt included", () => book.MarkIncluded(receipt.Commitment, (long)answer.LeafIndex, (long)size));
            return new ReceiptCheck(receipt, ReceiptVerdict.Included, (long)answer.LeafIndex, (long)size, $"included at leaf {answer.LeafIndex} (checkpoint size {size})");
        }
        if (kind == LogEntryKind.Deletion)
            return new ReceiptCheck(receipt, ReceiptVerdict.Deleted, null, null, "deleted; the deletion is not in the log yet (it joins the next epoch)");
        var overdue = receipt.SentAt is { } sent && time.GetUtcNow() - sent > options.LogMissingAfter;
        var said = answer.State == InclusionState.Pending ? "the collector says it is not sealed into an epoch yet" : "the collector says it is not in its log";
        return overdue
            ? new ReceiptCheck(receipt, ReceiptVerdict.Missing, null, null, $"sent on {receipt.SentAt:yyyy-MM-dd HH:mm} UTC and still not in the log ({said}): the collector dropped it")
            : new ReceiptCheck(receipt, ReceiptVerdict.Pending, null, null, $"not in the log yet ({said}); leaves are added in epochs");
    }

    /// <summary>What checking <paramref name="count"/> receipts at once told the collector, for the transport in use.</summary>
    private string Disclosure(int count)
    {
        var o = options;
        if (count == 0)
            return "No receipt was looked up: only the public checkpoint was fetched.";
        var route = o.Ohttp is not null ? "through the Oblivious HTTP relay, so the collector did not see this device's address"
            : o.HttpMessageHandler is not null ? "through the application's own connection"
            : o.Transport == TransportMode.Direct ? "directly from this device's address"
            : o.Transport == TransportMode.TorRequired ? "through Tor, each on its own circuit, so the collector did not see this device's address"
            : "through Tor when it was running (each on its own circuit), else directly from this device's address";
        return $"{count} lookup(s) went out together, {route}. Arriving together, they tell the collector that these {count} reports "
            + "probably come from one device" + (o.Transport == TransportMode.Direct && o.Ohttp is null ? " (and which address)" : "")
            + ". The background checks look up one receipt at a time, at random moments, to avoid this.";
    }
}
