using Candor.Client.Announcements;
using Candor.Client.LocalStore;
using Candor.Client.Recording;
using Candor.Client.Transparency;
using Candor.Client.Upload;

namespace Candor.Client.Scheduling;

/// <summary>
/// The steps the timers run (<see cref="BackgroundSchedule"/>) and an app may run itself through the facade:
/// a flush, an upload cycle, an announcements fetch, a receipt check or a scheduled deletion. Each is given
/// the part that does the work, never the facade. None throws for a full disk: the step answers "nothing"
/// (an upload cycle says "local store unavailable"), the fault is logged once per episode, and the next
/// run tries again.
/// </summary>
internal sealed class BackgroundSteps(RecordingFlusher flusher, UploadWorker worker, AnnouncementService announcements, TransparencyService log,
    ReceiptDeleter deletions, StorageFault fault, Lock local)
{
    public void Flush()
    {
        lock (local)
            flusher.Flush();
    }

    public async Task<UploadCycle> UploadAsync(CancellationToken cancel)
    {
        try
        {
            return await worker.RunAsync(cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (StorageFault.IsStorageError(e))
        {
            fault.Failed("an upload", e);
            return new UploadCycle(UploadWorker.LocalStoreUnavailable, 0, 0, 0, null);
        }
    }

    public Task<AnnouncementsResult?> FetchAnnouncementsIfDueAsync(CancellationToken cancel) =>
        fault.QuietlyAsync("remembering the announcements", () => announcements.FetchIfDueAsync(cancel), null);

    public Task<ReceiptCheck?> VerifyNextReceiptIfDueAsync(CancellationToken cancel) =>
        fault.QuietlyAsync("checking a receipt", () => log.VerifyNextIfDueAsync(cancel), null);

    public Task<ReceiptDeletion?> DeleteNextReceiptIfDueAsync(CancellationToken cancel) =>
        fault.QuietlyAsync("sending a scheduled deletion", () => deletions.DeleteNextIfDueAsync(cancel), null);

    /// <summary>One request per tick of the log timer: a due deletion goes first, else one receipt is checked.</summary>
    public async Task LogStepAsync(CancellationToken cancel)
    {
        if (await DeleteNextReceiptIfDueAsync(cancel).ConfigureAwait(false) is null)
            await VerifyNextReceiptIfDueAsync(cancel).ConfigureAwait(false);
    }
}
