using Candor.Client.LocalStore;
using Candor.Client.Recording;
using Candor.Registry;
using Microsoft.Extensions.Logging;

namespace Candor.Client.Consent;

/// <summary>
/// The one gate for everything that leaves the device or is kept on it: reports, the local store and
/// announcement fetches all ask <see cref="Allowed"/> or <see cref="IsGranted"/> here (privacy invariants
/// 1, 3 and 10). It holds the user's answer and the effective consent (<see cref="ConsentResolver"/>),
/// applies changes, and on a withdrawal erases what was not sent and tells the upload worker to stop.
/// Callers hold the client's local lock (the one <see cref="CandorClient"/> gives every part).
/// </summary>
internal sealed class ConsentGate
{
    private readonly string _dataDirectory;
    private readonly ClientStore _store;
    private readonly Recorder _recorder;
    private readonly DeferredErasure _erasures;
    private readonly StorageFault _fault;
    private readonly ClientLog _log;
    private readonly TimeProvider _time;
    private readonly string _policyPath;
    private readonly Func<string, string?> _environment;
    private readonly DecisionsFile _decisions;
    private byte[] _kept;
    private string? _text;

    /// <param name="options">Read here once: the data directory, the machine policy file and the environment.</param>
    /// <param name="registry">Sizes the decisions file.</param>
    /// <param name="store">Unsent data is erased from it on a withdrawal.</param>
    /// <param name="recorder">Its slots are switched on and off with the consent.</param>
    public ConsentGate(CandorClientOptions options, MetricRegistry registry, ClientStore store, Recorder recorder,
        DeferredErasure erasures, StorageFault fault, ClientLog log, TimeProvider time)
    {
        (_dataDirectory, _store, _recorder, _erasures, _fault, _log, _time) = (options.DataDirectory, store, recorder, erasures, fault, log, time);
        _environment = options.Environment ?? Environment.GetEnvironmentVariable;
        _policyPath = MachinePolicy.ResolvePath(options.PolicyFile, _environment);
        _text = ConsentRecord.ReadText(_dataDirectory);
        Record = ConsentRecord.Parse(_text);
        // Decisions a full disk kept from being saved before the app last exited: they hold again, before
        // anything is recorded or sent (the erasures are owed again by the client as it starts).
        _decisions = new DecisionsFile(_dataDirectory);
        var owed = OwedDecisions.Parse(_decisions.Payload);
        _kept = owed.ToBytes();
        if (owed.Unsaved is { } unsaved && owed.Over == OwedDecisions.Fingerprint(_text))
            (Record, _saveOwed) = (unsaved, true);
        // else: consent.json was saved by another writer since (the CLI, another instance): its answer is newer.
        _eraseOwed = owed.Erasures.HasFlag(OwedErasure.Unsent);
        RestoredErasures = owed.Erasures & ~OwedErasure.Unsent;
        if (owed.IsNothing)
            _decisions.Prepare(OwedDecisions.SlotSizeFor(registry), _kept);
        erasures.Changed += KeepOwed;
        Current = ConsentResolver.Resolve(Record, _policyPath, _environment);
        ApplyToRecorder();
    }

    /// <summary>Erasures (other than of unsent data, which the gate owes itself) a full disk kept from being done before the app last exited.</summary>
    public OwedErasure RestoredErasures { get; }

    /// <summary>
    /// Keeps what is owed (an unsaved answer, erasures not done) in the decisions file, overwriting it in
    /// place, so it survives a restart on a full disk; writes only when that changed. Callers hold the lock.
    /// </summary>
    public void KeepOwed()
    {
        var owed = new OwedDecisions(_saveOwed ? Record : null, _saveOwed ? OwedDecisions.Fingerprint(_text) : null,
            _erasures.Kinds | (_eraseOwed ? OwedErasure.Unsent : OwedErasure.None));
        var bytes = owed.ToBytes();
        if (bytes.AsSpan().SequenceEqual(_kept))
            return;
        try
        {
            _decisions.Write(bytes.Length <= _decisions.Capacity ? bytes : owed.Smaller().ToBytes());
            _kept = bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No decisions file (the store was first created on a full disk): the decision holds in memory only.
            _fault.Failed("keeping the user's decision for the next start", e);
        }
    }

    public ConsentRecord Record { get; private set; }

    public EffectiveConsent Current { get; private set; }

    public bool IsGranted => Current.IsGranted;

    /// <summary>Raised (under the lock) when consent stops being granted; unsent data is already erased.</summary>
    public event Action? Withdrawn;

    public bool Allowed(MetricDefinition metric) => ConsentScope.Covers(Current, Record, metric);

    /// <summary>
    /// Another process (<c>candor client consent deny</c>, another instance of the app) or an administrator
    /// (the machine policy) may have changed the answer since it was read: look again before every flush,
    /// upload and fetch, so a "no" given elsewhere also stops collection and erases unsent data.
    /// </summary>
    public void Refresh()
    {
        // A full disk earlier kept an answer from being saved or unsent data from being erased: do it now.
        // Until the answer is saved, the one in memory stands (the file still holds the older one).
        if (_saveOwed && !TrySave())
            return;
        if (_eraseOwed)
            TryErase();
        // An "erase" or a switch-off the disk refused before: its deletes go through now, before anything is written or sent.
        _erasures.Settle();
        var text = ConsentRecord.ReadText(_dataDirectory);
        var record = text == _text ? Record : ConsentRecord.Parse(text);
        var consent = ConsentResolver.Resolve(record, _policyPath, _environment);
        if (text == _text && consent == Current)
            return;
        bool wasGranted = Current.IsGranted;
        _text = text;
        Record = record;
        Current = consent;
        ApplyToRecorder();
        if (wasGranted && !consent.IsGranted)
            Withdraw($"Consent is no longer granted ({consent.Reason}); all unsent data was erased.");
    }

    /// <summary>
    /// The gate for the calls an app makes that reach the network (log checks, comparisons, token refills):
    /// looks again at the consent (<see cref="Refresh"/>) and throws <see cref="ConsentRequiredException"/>,
    /// before anything is sent, unless it is granted.
    /// </summary>
    public void RequireForNetwork(string what)
    {
        Refresh();
        if (!Current.IsGranted)
            throw new ConsentRequiredException($"Nothing was sent: {what} reaches the collector, and consent is not granted ({Current.Reason}).");
    }

    /// <summary>
    /// Deletion by receipt passes when consent is granted or when the user's own answer is no: a withdrawal
    /// is exactly when a user asks for what was sent to be deleted, and the request carries only receipts
    /// of reports already sent. It does not pass when nobody answered (unset, <c>DO_NOT_TRACK</c>,
    /// <c>CI</c>) or a machine policy forbids Candor: then nothing may leave the device.
    /// </summary>
    public void RequireForDeletion()
    {
        Refresh();
        if (!Current.IsGranted && !(Current.Source == ConsentSource.User && Current.State == ConsentState.Denied))
            throw new ConsentRequiredException($"Nothing was sent: deleting by receipt reaches the collector, and neither consent nor the user's own \"no\" is in force ({Current.Reason}).");
    }

    /// <summary>Persists the user's new answer and applies it; a "no" or a reset erases what was not sent.</summary>
    /// <remarks>
    /// Applied in memory first: a "no" holds at once even when the disk is full and the file cannot be
    /// written; saving (and erasing) is then retried on every <see cref="Refresh"/> until it succeeds.
    /// </remarks>
    public void Change(ConsentRecord record, string logLine)
    {
        Record = record;
        Current = ConsentResolver.Resolve(record, _policyPath, _environment);
        ApplyToRecorder();
        _saveOwed = true;
        TrySave();
        if (!Current.IsGranted)
            Withdraw(logLine);
        else
            _log.Write(logLine);
        KeepOwed();
    }

    private bool _saveOwed, _eraseOwed;

    private bool TrySave()
    {
        try
        {
            Record.Save(_dataDirectory);
            _text = ConsentRecord.ReadText(_dataDirectory);
            _saveOwed = false;
            KeepOwed();
            return true;
        }
        catch (Exception e) when (StorageFault.IsStorageError(e))
        {
            _fault.Failed("saving the user's answer", e);
            return false;
        }
    }

    /// <summary>Erases unsent data; on a full disk, remembers to erase it at the next refresh (nothing is sent meanwhile: consent is not granted).</summary>
    private void TryErase()
    {
        try
        {
            _store.EraseUnsent();
            _eraseOwed = false;
        }
        catch (Exception e) when (StorageFault.IsStorageError(e))
        {
            _eraseOwed = true;
            _fault.Failed("erasing unsent data", e);
        }
        KeepOwed();
    }

    /// <summary>Tells the worker and the flusher; their bookkeeping writes may fail on a full disk, which must not undo or hide the "no".</summary>
    private void NotifyWithdrawn()
    {
        // Each on its own: one failing must not keep the next (the flusher dropping what waits in memory) from running.
        foreach (var handler in Withdrawn?.GetInvocationList().Cast<Action>() ?? [])
        {
            try
            {
                handler();
            }
            catch (Exception e) when (StorageFault.IsStorageError(e))
            {
                _fault.Failed("forgetting the upload schedule", e);
            }
        }
    }

    /// <summary>At start-up: a policy installed since the last run, or a damaged consent file, must not leave collected data behind.</summary>
    public void EraseIfNotGranted()
    {
        if (!Current.IsGranted)
        {
            TryErase();
            NotifyWithdrawn();
        }
    }

    /// <summary>Turns off every recording slot at once, before anything else happens (called outside the lock by a "no").</summary>
    public void StopRecording()
    {
        foreach (var s in _recorder.All)
            s.Enabled = false;
    }

    private void Withdraw(string logLine)
    {
        _recorder.Drain(_time.UtcToday()); // discarded: recorded in the instant before the switch
        TryErase();
        NotifyWithdrawn();
        _log.Write(logLine);
    }

    private void ApplyToRecorder()
    {
        foreach (var s in _recorder.All)
            s.Enabled = Allowed(s.Definition);
    }
}
