using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Candor.Collector.Storage.Sqlite;

/// <summary>
/// The fsync that makes an ingest group durable, taken out of SQLite's commit so that it can overlap the
/// next group's transaction. The group is committed with <c>synchronous=NORMAL</c> (frames written to the
/// WAL, no sync), the writer lock is released, and only then is the WAL file synced here, off the writer;
/// the group's requests are answered after this returns. A sync covers every frame written before it
/// started, this group's included, so "202 means on disk" holds exactly as with <c>synchronous=FULL</c>.
///
/// Several syncs may run at once (the virtual disk measured here completes four concurrent fdatasyncs in
/// about the time of one). The WAL is opened once, after the first commit created it, and is the same file
/// for the writer's whole life: SQLite deletes or replaces it only when its last connection closes, and the
/// writer stays open until the store is disposed (then this is disposed after it).
/// SQLite locks the -shm and database files, never the WAL, so this handle cannot release a lock of SQLite's.
/// </summary>
internal sealed class WalFlush(string walPath) : IDisposable
{
    private SafeFileHandle? _wal;

    /// <summary>
    /// Set once a sync failed: after a failed fsync Linux may drop the dirty pages it could not write and
    /// a later fsync then succeeds without them (PostgreSQL stops the server in this case), so no later
    /// group can be promised as on disk either. Every group is answered 503 until the collector restarts,
    /// and the readiness check reports the outage.
    /// </summary>
    private volatile Exception? _failed;

    /// <summary>
    /// Test seam for the failure mode "the disk refused the sync" and for holding a sync: called with the
    /// WAL's path; a task replaces the real sync, null keeps it. Tests match their own file's path.
    /// </summary>
    internal static Func<string, Task?>? Intercept { get; set; }

    /// <summary>Opens the WAL once; call under the writer lock, after a commit (so the file exists).</summary>
    public void EnsureOpen() =>
        _wal ??= File.OpenHandle(walPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);

    /// <summary>Completes once everything written to the WAL before the call is on disk; throws when the disk says no.</summary>
    public async Task FlushAsync()
    {
        var wal = _wal ?? throw new InvalidOperationException("The WAL is not open.");
        if (_failed is { } earlier)
            throw new IOException("An earlier sync of the WAL failed; nothing written since can be promised as on disk. Restart the collector.", earlier);
        try
        {
            if (Intercept?.Invoke(walPath) is { } intercepted)
                await intercepted;
            else
                await Task.Run(() => Sync(wal));
        }
        catch (Exception e)
        {
            _failed ??= e;
            throw;
        }
    }

    private void Sync(SafeFileHandle wal)
    {
        if (OperatingSystem.IsLinux())
        {
            // fdatasync, as SQLite's own FULL sync uses on Linux: the data and the size, not the mtime.
            if (FDataSync(wal) != 0)
                throw new IOException($"fdatasync of the WAL failed (errno {Marshal.GetLastPInvokeError()}).");
            return;
        }
        // Elsewhere a handle of its own (FlushFileBuffers, fsync): disposing a stream would close the shared one.
        using var stream = new FileStream(walPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        stream.Flush(flushToDisk: true);
    }

#pragma warning disable SYSLIB1054 // LibraryImport needs unsafe code in this project; a SafeHandle marshals fine here
    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static extern int FDataSync(SafeFileHandle fd);
#pragma warning restore SYSLIB1054

    public void Dispose() => _wal?.Dispose();
}
