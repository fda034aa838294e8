using Candor.Client.LocalStore;

namespace Candor.Client.Transparency;

/// <summary>
/// The local writes of one check the user asked for (the newest checkpoint, inclusion and deletion marks,
/// a log key trusted on first use). A full disk must not turn a real verdict into an exception, nor be
/// hidden: a write the disk refuses is skipped, logged once per episode, and the answer says so
/// (<c>LocalStoreUnavailable</c>); the next check once the disk has room writes it.
/// </summary>
internal sealed class Bookkeeping(StorageFault fault)
{
    /// <summary>True once a write of this check was refused.</summary>
    public bool Failed { get; private set; }

    /// <summary>Runs <paramref name="write"/>; a storage fault is counted instead of thrown.</summary>
    public void Keep(string what, Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (StorageFault.IsStorageError(e))
        {
            Failed = true;
            fault.Failed(what, e);
        }
    }
}
