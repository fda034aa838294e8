using Candor.Client.LocalStore;
using Candor.Client.Transport;
using Candor.Client.Upload;
using Microsoft.Extensions.Logging;

namespace Candor.Client.Transparency;

/// <summary>
/// Deletion by receipt (docs/transparency.md): reveals the nonce of a report this device sent so the collector
/// removes it from its stored counts and logs the deletion. The user asks for it, so it also runs after the
/// user's own "no" (the facade's gate for it is <see cref="Consent.ConsentGate.RequireForDeletion"/>); one receipt
/// per request, now (<see cref="DeleteAsync"/>) or each at its own random moment (<see cref="ScheduleDeletions"/>).
/// Network work runs with no lock held; receipts change under the client's local lock.
/// </summary>
/// <param name="transport">Null without a collector: there is no log to delete from.</param>
/// <param name="options">Read live: <see cref="CandorClientOptions.DeletionWindow"/> and <see cref="CandorClientOptions.Random"/> for the moments.</param>
internal sealed class ReceiptDeleter(ClientTransport? transport, ReceiptBook book, StorageFault fault, ClientLog log, CandorClientOptions options,
    TimeProvider time, Lock local)
{
    /// <summary>
    /// Reveals the nonces of <paramref name="receipts"/> (default: every sent receipt) and asks the collector to
    /// delete their reports now, one receipt per request, back to back (the interactive path: the requests'
    /// timing still ties them together; <see cref="ScheduleDeletions"/> does not).
    /// </summary>
    /// <remarks>
    /// Receipts that cannot be read (a full disk kept the store from being created) send nothing and answer
    /// <see cref="ReceiptDeletions.LocalStoreUnavailable"/>; marks the disk refuses leave the collector's answers as they are and say so.
    /// </remarks>
    public async Task<ReceiptDeletions> DeleteAsync(IEnumerable<Receipt>? receipts, CancellationToken cancel)
    {
        var reader = LogReader.Over(transport);
        List<Receipt> targets;
        try
        {
            targets = Held(receipts);
        }
        catch (Exception e) when (StorageFault.IsStorageError(e))
        {
            fault.Failed("reading the receipts to delete", e);
            return new ReceiptDeletions([], localStoreUnavailable: true);
        }
        var writes = new Bookkeeping(fault);
        var outcomes = new List<ReceiptDeletion>();
        foreach (var group in targets.GroupBy(r => r.App))
            foreach (var chunk in group.Chunk(MaxReceiptsPerDeletion))
            {
                var answers = await reader.DeleteAsync(group.Key, chunk, cancel).ConfigureAwait(false);
                lock (local)
                {
                    var now = time.GetUtcNow();
                    foreach (var r in chunk)
                    {
                        var status = answers.GetValueOrDefault(r.Commitment, "no answer");
                        if (status is "deleted" or "already-deleted")
                            writes.Keep("marking receipts deleted", () => book.MarkDeleted(r.Commitment, now));
                        outcomes.Add(new ReceiptDeletion(r, status));
                    }
                    var deleted = outcomes.Count(o => o.Status == "deleted");
                    if (deleted > 0)
                        log.Write($"The collector deleted {deleted} report(s) by receipt at the user's request.");
                }
            }
        return new ReceiptDeletions(outcomes, writes.Failed);
    }

    /// <summary>
    /// One receipt per deletion request: several receipts in one request told the collector, and through
    /// its log everyone, how many reports one device deleted and that they were deleted together.
    /// </summary>
    public const int MaxReceiptsPerDeletion = 1;

    /// <summary>Only receipts this device holds, sent and not deleted: a receipt from elsewhere has no nonce the device vouches for.</summary>
    private List<Receipt> Held(IEnumerable<Receipt>? receipts)
    {
        lock (local)
        {
            var known = book.All().Where(r => r.SentAt is not null).ToDictionary(r => r.Commitment);
            return receipts is null ? known.Values.ToList()
                : receipts.Select(r => known.GetValueOrDefault(r.Commitment)).OfType<Receipt>().ToList();
        }
    }

    /// <summary>
    /// Schedules the deletion of <paramref name="receipts"/> (default: every sent receipt not deleted yet): each
    /// leaves alone, at its own uniformly random moment within <see cref="CandorClientOptions.DeletionWindow"/>,
    /// drawn independently, like split uploads. Returns how many were scheduled.
    /// </summary>
    public int ScheduleDeletions(IEnumerable<Receipt>? receipts)
    {
        var targets = Held(receipts).Where(r => r.DeletedAt is null).ToList();
        lock (local)
        {
            var now = time.GetUtcNow();
            foreach (var r in targets)
                book.SetDeleteAt(r.Commitment, now + UploadSchedule.Between(TimeSpan.Zero, options.DeletionWindow, options.Random));
            if (targets.Count > 0)
                log.Write($"{targets.Count} report(s) will be deleted by receipt, each at its own random moment within {options.DeletionWindow.TotalHours:0.#} hours.");
        }
        return targets.Count;
    }

    /// <summary>
    /// The background step for deletions (whatever the consent state: the user asked for them): sends the one
    /// deletion whose moment came first, alone. Null when none was due. A failed request is tried again at a new
    /// random moment within the window, so retries of one device never line up either.
    /// </summary>
    public async Task<ReceiptDeletion?> DeleteNextIfDueAsync(CancellationToken cancel)
    {
        if (transport is null)
            return null;
        Receipt? due;
        lock (local)
            due = book.NextDeletionDue(time.GetUtcNow());
        if (due is null)
            return null;
        try
        {
            var answers = await LogReader.Over(transport).DeleteAsync(due.App, [due], cancel).ConfigureAwait(false);
            var status = answers.GetValueOrDefault(due.Commitment, "no answer");
            lock (local)
            {
                if (status is "deleted" or "already-deleted")
                    book.MarkDeleted(due.Commitment, time.GetUtcNow());
                else
                    book.SetDeleteAt(due.Commitment, null); // not-found or expired: an answer, nothing to retry
                log.Write($"Deletion by receipt of a report ({due.Metric}, {due.Period}): {status}.");
            }
            return new ReceiptDeletion(due, status);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidOperationException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            lock (local)
            {
                book.SetDeleteAt(due.Commitment, time.GetUtcNow() + UploadSchedule.Between(TimeSpan.Zero, options.DeletionWindow, options.Random));
                log.Write($"Deleting a report by receipt failed; it will be tried again later: {e.GetType().Name}: {e.Message}", LogLevel.Warning,
                    $"Deleting a report by receipt failed ({e.GetType().Name}).");
            }
            return null;
        }
    }
}
