using Candor.Client.LocalStore;
using Candor.Client.Outbox;
using Candor.Client.Recording;
using Candor.Registry;
using Microsoft.Extensions.Logging;

namespace Candor.Client;

/// <summary>
/// What the client's parts share: the options, the registry, the local store and its outbox, the
/// in-memory recorder, and <see cref="Local"/>, the one lock over local state.
/// </summary>
internal sealed class ClientContext
{
    public ClientContext(CandorClientOptions options, MetricRegistry registry, ILogger logger)
    {
        Options = options;
        Registry = registry;
        Time = options.TimeProvider;
        Logger = logger;
        Fault = new StorageFault(logger, options.TimeProvider);
        Erasures = new DeferredErasure(Fault, StoreWritten);
        Store = new ClientStore(options.DataDirectory, options.MaxHistoryEntries, options.TimeProvider);
        if (Store.OpenError is { } openError)
            Fault.Failed("opening it", openError);
        if (Store.SetAsideNote is { } note)
            Log(note, LogLevel.Warning);
        Store.SetAsideWhileRunning = message => Log(message, LogLevel.Warning);
        RegistryCopy.Write(options.DataDirectory, registry, message => Log(message, LogLevel.Warning));
        Outbox = new PendingOutbox(Store, options.MaxOutboxBatches, options.RetentionDays);
        Recorder = new Recorder(registry, options.ThrowOnMisuse);
    }

    public CandorClientOptions Options { get; }
    public MetricRegistry Registry { get; }
    public TimeProvider Time { get; }
    public ILogger Logger { get; }
    public ClientStore Store { get; }

    /// <summary>Whether the local store is failing to be written (a full disk), logged once per episode.</summary>
    public StorageFault Fault { get; }

    /// <summary>Erasures a full disk refused, owed until they go through; nothing is uploaded meanwhile.</summary>
    public DeferredErasure Erasures { get; }
    public PendingOutbox Outbox { get; }
    public Recorder Recorder { get; }

    /// <summary>
    /// Serialises changes to consent, observations and the outbox, so a "no" and a sealing upload never
    /// interleave. Held for the length of local SQLite work only (milliseconds), never across a network
    /// request or an await: an app's UI thread that takes it is never made to wait for a slow collector.
    /// </summary>
    public Lock Local { get; } = new();

    /// <summary>A write to the store went through: ends a storage fault episode with one line in both logs.</summary>
    public void StoreWritten()
    {
        if (Fault.Succeeded() is { } line)
            Log(line, LogLevel.Warning);
    }

    public DateOnly Today => DateOnly.FromDateTime(Time.GetUtcNow().UtcDateTime);

    /// <summary>
    /// Writes to the user's local log and to the host's <see cref="ILogger"/>. Callers pass sentences about
    /// what happened (a drop, a refusal, a consent change), never a recorded value: the host's logs are
    /// not covered by the user's consent.
    /// </summary>
    /// <param name="hostMessage">What the host's log gets instead, when <paramref name="message"/> quotes
    /// something the host must not keep (a collector's answer may name a refused value).</param>
    public void Log(string message, LogLevel level = LogLevel.Information, string? hostMessage = null)
    {
        Logger.Log(level, "Candor: {Message}", hostMessage ?? message);
        try { Store.Log(Time.GetUtcNow(), message); }
        catch (Exception e) when (StorageFault.IsStorageError(e))
        {
            // A full disk: one line per episode, not one per log line.
            Fault.Failed("writing the local log", e);
        }
        catch (Exception e) when (e is IOException or Microsoft.Data.Sqlite.SqliteException or UnauthorizedAccessException)
        {
            // The local log is best effort: failing to write it must not turn a handled problem into a crash.
            Logger.LogWarning("Candor could not write its local log: {Error}", e.GetType().Name);
        }
    }
}
