using Candor.Client.Consent;
using Candor.Client.LocalStore;
using Candor.Client.Recording;

namespace Candor.Client.UserData;

/// <summary>
/// The user's "erase everything" (privacy invariant 7): what waits in memory and everything collected,
/// pending or sent on the disk. Consent is kept: erasing is not an answer.
/// </summary>
internal sealed class LocalErasure(Recorder recorder, RecordingFlusher flusher, ClientStore store, DeferredErasure erasures, TimeProvider time, Lock local)
{
    /// <summary>
    /// Never throws for a full disk: what waits in memory goes at once, and the delete on disk is owed
    /// until the disk has room (<see cref="DeferredErasure"/>); no upload leaves meanwhile.
    /// </summary>
    public void Erase()
    {
        lock (local)
        {
            recorder.Drain(time.UtcToday());
            flusher.ForgetUnsaved(); // recorded before the erase, waiting for the disk: erased too
            var at = time.GetUtcNow();
            erasures.Run(OwedErasure.Everything, "erasing all local data", () => store.EraseAll(at));
            flusher.MarkActiveToday();
        }
    }
}
