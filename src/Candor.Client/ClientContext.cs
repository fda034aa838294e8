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
        Logs = new ClientLog(logger, Store, Fault, options.TimeProvider);
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

    /// <summary>The local log and the host's log (<see cref="ClientLog"/>).</summary>
    public ClientLog Logs { get; }

    /// <inheritdoc cref="ClientLog.StoreWritten"/>
    public void StoreWritten() => Logs.StoreWritten();

    public DateOnly Today => DateOnly.FromDateTime(Time.GetUtcNow().UtcDateTime);

    /// <inheritdoc cref="ClientLog.Write"/>
    public void Log(string message, LogLevel level = LogLevel.Information, string? hostMessage = null) => Logs.Write(message, level, hostMessage);
}
