using Microsoft.Extensions.Logging;

namespace Candor.Client.LocalStore;

/// <summary>
/// Writes to the user's local log and to the host's <see cref="ILogger"/>. Callers pass sentences about
/// what happened (a drop, a refusal, a consent change), never a recorded value: the host's logs are
/// not covered by the user's consent.
/// </summary>
internal sealed class ClientLog(ILogger logger, ClientStore store, StorageFault fault, TimeProvider time)
{
    public ILogger Host => logger;

    /// <param name="message">The line for the local log.</param>
    /// <param name="level">Its level in the host's log.</param>
    /// <param name="hostMessage">What the host's log gets instead, when <paramref name="message"/> quotes
    /// something the host must not keep (a collector's answer may name a refused value).</param>
    public void Write(string message, LogLevel level = LogLevel.Information, string? hostMessage = null)
    {
        logger.Log(level, "Candor: {Message}", hostMessage ?? message);
        try { store.Log(time.GetUtcNow(), message); }
        catch (Exception e) when (StorageFault.IsStorageError(e))
        {
            // A full disk: one line per episode, not one per log line.
            fault.Failed("writing the local log", e);
        }
        catch (Exception e) when (e is IOException or Microsoft.Data.Sqlite.SqliteException or UnauthorizedAccessException)
        {
            // The local log is best effort: failing to write it must not turn a handled problem into a crash.
            logger.LogWarning("Candor could not write its local log: {Error}", e.GetType().Name);
        }
    }

    /// <summary>A write to the store went through: ends a storage fault episode with one line in both logs.</summary>
    public void StoreWritten()
    {
        if (fault.Succeeded() is { } line)
            Write(line, LogLevel.Warning);
    }
}
