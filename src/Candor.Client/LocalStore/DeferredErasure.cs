using Candor.Client.Consent;

namespace Candor.Client.LocalStore;

/// <summary>
/// Erasures the disk refused (a full disk): the user's "erase" or a switched-off metric's data must go,
/// but the delete itself needs room in SQLite's write-ahead log. The call returns at once instead of
/// throwing into the app; the work is owed, retried in order at every later flush, upload and fetch
/// (<see cref="Consent.ConsentGate.Refresh"/>), and while anything is owed no upload leaves
/// (<see cref="Upload.UploadWorker"/>): what the user asked to be gone must not be sent in the meantime.
/// Callers hold the client's local lock.
/// </summary>
/// <remarks>What is owed is also kept on disk (<see cref="Changed"/>, <see cref="Consent.DecisionsFile"/>), so an
/// app that exits before the disk has room owes it again at the next start, before anything is recorded or sent.</remarks>
internal sealed class DeferredErasure(StorageFault fault, Action storeWritten)
{
    private readonly List<(OwedErasure Kind, string What, Action Work)> _owed = [];

    public bool Owed => _owed.Count > 0;

    /// <summary>The kinds of erasure owed, for the decisions file.</summary>
    public OwedErasure Kinds => _owed.Aggregate(OwedErasure.None, (all, o) => all | o.Kind);

    /// <summary>Raised after what is owed changed (the gate keeps it in the decisions file).</summary>
    public event Action? Changed;

    /// <summary>Runs <paramref name="work"/> now, after whatever is still owed; on a storage fault it is owed instead.</summary>
    public void Run(OwedErasure kind, string what, Action work)
    {
        _owed.Add((kind, what, work));
        Settle();
    }

    /// <summary>Retries owed work, oldest first; false while some is still owed.</summary>
    public bool Settle()
    {
        if (_owed.Count == 0)
            return true;
        try
        {
            while (_owed.Count > 0)
            {
                var (_, what, work) = _owed[0];
                try
                {
                    work();
                }
                catch (Exception e) when (StorageFault.IsStorageError(e))
                {
                    fault.Failed(what, e);
                    return false;
                }
                _owed.RemoveAt(0);
                storeWritten();
            }
            return true;
        }
        finally
        {
            Changed?.Invoke();
        }
    }
}
