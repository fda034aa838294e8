namespace Candor.Client.LocalStore;

/// <summary>
/// Erasures the disk refused (a full disk): the user's "erase" or a switched-off metric's data must go,
/// but the delete itself needs room in SQLite's write-ahead log. The call returns at once instead of
/// throwing into the app; the work is owed, retried in order at every later flush, upload and fetch
/// (<see cref="Consent.ConsentGate.Refresh"/>), and while anything is owed no upload leaves
/// (<see cref="Upload.UploadWorker"/>): what the user asked to be gone must not be sent in the meantime.
/// Callers hold <see cref="ClientContext.Local"/>.
/// </summary>
/// <remarks>Owed work lives in memory: an app that exits before the disk has room again forgets it
/// (the data then stays until the next erase); the upload worker's send-time check still keeps a
/// switched-off metric's reports from leaving (<see cref="Outbox.AllowedReports"/>).</remarks>
internal sealed class DeferredErasure(ClientContext context)
{
    private readonly List<(string What, Action Work)> _owed = [];

    public bool Owed => _owed.Count > 0;

    /// <summary>Runs <paramref name="work"/> now, after whatever is still owed; on a storage fault it is owed instead.</summary>
    public void Run(string what, Action work)
    {
        _owed.Add((what, work));
        Settle();
    }

    /// <summary>Retries owed work, oldest first; false while some is still owed.</summary>
    public bool Settle()
    {
        while (_owed.Count > 0)
        {
            var (what, work) = _owed[0];
            try
            {
                work();
            }
            catch (Exception e) when (StorageFault.IsStorageError(e))
            {
                context.Fault.Failed(what, e);
                return false;
            }
            _owed.RemoveAt(0);
            context.StoreWritten();
        }
        return true;
    }
}
