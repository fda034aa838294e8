using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Candor.Client.LocalStore;

/// <summary>
/// The local store cannot be written (a full disk, an I/O error, a data directory that vanished): an
/// episode the client rides out instead of throwing into the app. The first failure of an episode is
/// logged once to the host's log (not the local log: that is on the failing disk); later failures are
/// only counted; the first successful write after it ends the episode with one line saying how long it
/// lasted, in both logs. What was recorded meanwhile waits in memory (<see cref="Recording.RecordingFlusher"/>).
/// </summary>
internal sealed class StorageFault(ILogger logger, TimeProvider time)
{
    private readonly Lock _lock = new();
    private DateTimeOffset? _since;
    private int _failures;
    private string _reason = "";

    /// <summary>SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN and SQLITE_READONLY, and a disk-full IOException: faults of the disk, not of the data.</summary>
    public static bool IsStorageError(Exception e) => e switch
    {
        SqliteException s => s.SqliteErrorCode is 10 or 13 or 14 or 8,
        IOException io => io.HResult is 28 /* ENOSPC */ or 5 /* EIO */ or 0x70 or 0x27 or unchecked((int)0x80070070) or unchecked((int)0x80070027)
            || io.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase) || io.Message.Contains("disk full", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>
    /// A call that needs the local store answers <paramref name="nothing"/> on a storage fault (a full disk kept
    /// the store from being created, an I/O error) instead of throwing into the app; the fault is counted
    /// (<see cref="Failed"/>: logged once per episode) and the next call tries again.
    /// </summary>
    public T Quietly<T>(string what, Func<T> work, Func<T> nothing)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (IsStorageError(e))
        {
            Failed(what, e);
            return nothing();
        }
    }

    /// <inheritdoc cref="Quietly{T}(string, Func{T}, Func{T})"/>
    public async Task<T> QuietlyAsync<T>(string what, Func<Task<T>> work, T nothing)
    {
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (Exception e) when (IsStorageError(e))
        {
            Failed(what, e);
            return nothing;
        }
    }

    public bool Failing
    {
        get { lock (_lock) return _since is not null; }
    }

    /// <summary>Counts a failure; the first of an episode is logged.</summary>
    public void Failed(string what, Exception e)
    {
        lock (_lock)
        {
            _failures++;
            if (_since is not null)
                return;
            _since = time.GetUtcNow();
            _reason = e.Message;
        }
        logger.LogWarning("Candor: the local store cannot be written ({Reason}); {What} is retried later. What is recorded meanwhile is kept in memory and the app is unaffected.", e.Message, what);
    }

    /// <summary>A write went through: ends an episode, if one was running, and returns the line saying so (for both logs).</summary>
    public string? Succeeded()
    {
        int failures;
        TimeSpan duration;
        string reason;
        lock (_lock)
        {
            if (_since is not { } since)
                return null;
            (failures, duration, reason) = (_failures, time.GetUtcNow() - since, _reason);
            _since = null;
            _failures = 0;
        }
        return $"The local store can be written again after {failures} failed attempt{(failures == 1 ? "" : "s")} over {Math.Round(duration.TotalMinutes)} min ({reason}); what was recorded meanwhile was kept.";
    }
}
