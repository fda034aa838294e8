using Candor.Client.Announcements;
using Candor.Client.Consent;
using Candor.Client.LocalStore;
using Candor.Client.Outbox;
using Candor.Client.Recording;
using Candor.Client.Reporting;
using Candor.Client.Scheduling;
using Candor.Client.Transparency;
using Candor.Client.Transport;
using Candor.Client.Upload;
using Candor.Client.UserData;
using Candor.Registry;
using Microsoft.Extensions.Logging;

namespace Candor.Client;

public sealed partial class CandorClient
{
    /// <summary>
    /// The composition root, as Sentry's hub composes its client, transport and worker: every part is created
    /// here, once, and given exactly what it uses (docs/architecture.md, "The client"). No part holds the
    /// facade or a bag of everything; the ones that change local state share <see cref="_local"/>.
    /// </summary>
    private CandorClient(CandorClientOptions options, MetricRegistry registry, ILogger logger)
    {
        (_options, _registry, _time) = (options, registry, options.TimeProvider);

        // The local store and what reports on it: a full disk is one episode (StorageFault), written to the
        // host's log and to the user's local log (ClientLog), and erasures it refuses are owed (DeferredErasure).
        _fault = new StorageFault(logger, _time);
        _store = new ClientStore(options.DataDirectory, options.MaxHistoryEntries, _time);
        var log = new ClientLog(logger, _store, _fault, _time);
        var erasures = new DeferredErasure(_fault, log.StoreWritten);
        OpenStore(options, registry, log);
        var outbox = new PendingOutbox(_store, options.MaxOutboxBatches, options.RetentionDays);
        _recorder = new Recorder(registry, options.ThrowOnMisuse);

        // Consent and recording.
        _gate = new ConsentGate(options, registry, _store, _recorder, erasures, _fault, log, _time);
        _flusher = new RecordingFlusher(registry, _recorder, _gate, _store, _fault, log, options, _time);
        _consent = new ConsentController(registry, _gate, _flusher, _store, outbox, erasures, log, _local);

        // The network: one transport for everything that leaves the device.
        (_transport, _tokens) = Network(options, registry, _store, _fault, _gate, log);

        // Uploads, announcements, the transparency log, the user's view.
        var builders = new ReportBuilderFactory(_store, registry, _gate.Allowed, options.RetentionDays, options.ReportCommitments);
        var receipts = new ReceiptBook(_store);
        _worker = UploadPath(options, registry, builders, receipts, outbox, erasures, log);
        _announcements = new AnnouncementService(registry, _gate, _worker, _transport, _store, log, options, _time, _local);
        var checkpoints = new CheckpointVerifier(options.TransparencyLog, _store, log, _local);
        _log = new TransparencyService(_gate, _transport, checkpoints, receipts, _fault, log, options, _time, _local);
        _deletions = new ReceiptDeleter(_transport, receipts, _fault, log, options, _time, _local);
        _view = new UserView(registry, _gate, _flusher, _worker, _store, outbox, _fault, _local);
        _preview = new UploadPreview(_gate, _flusher, builders.Create, _store, outbox, _fault, options, _time, _local);
        _erasure = new LocalErasure(_recorder, _flusher, _store, erasures, _time, _local);
        // The timers run the same steps an app can call, each given the part that does it.
        _steps = new BackgroundSteps(_flusher, _worker, _announcements, _log, _deletions, _fault, _local);
        var worker = _worker;
        _schedule = new BackgroundSchedule(options, _time, _fault, log, _local, _steps, _worker.Stopping,
            options.EffectiveSplitUploads ? () => worker.NextAttempt : null);

        lock (_local)
        {
            // Erasures a full disk refused before the app last exited: owed again, before anything is recorded or sent.
            if (_gate.RestoredErasures.HasFlag(OwedErasure.Everything))
                _erasure.Erase();
            if (_gate.RestoredErasures.HasFlag(OwedErasure.SwitchedOff))
                _consent.RemoveWhatIsNoLongerAllowed();
            _gate.EraseIfNotGranted();
            _gate.KeepOwed();
        }
        _gate.Withdrawn += _flusher.ForgetUnsaved;
        _bridge = new MeterBridge(_recorder);
    }

    /// <summary>
    /// The transport (null without a collector) and, with <see cref="CandorClientOptions.PrivateTokens"/>, the token
    /// handler in its chain. Static, so no callback the transport keeps can capture the facade.
    /// </summary>
    private static (ClientTransport? Transport, Tokens.PrivateTokenHandler? Tokens) Network(CandorClientOptions options, MetricRegistry registry,
        ClientStore store, StorageFault fault, ConsentGate gate, ClientLog log)
    {
        if (options.CollectorUrl is not { } url)
            return (null, null);
        // Replaced gateway and token keys, kept in the local store so a restart does not forget them.
        var keyHistory = new KeyHistory(store, fault);
        Tokens.PrivateTokenHandler? tokens = null;
        var transport = new ClientTransport(options, url, message => log.Write(message, LogLevel.Warning),
            options.PrivateTokens ? (inner, network, baseUrl) => tokens = Tokens.PrivateTokenClient.Attach(inner, network, store.Path, baseUrl, registry.App, options, () => gate.IsGranted,
                (message, warning) => log.Write(message, warning ? LogLevel.Warning : LogLevel.Information), keyHistory) : null,
            () => AnnouncedGatewayKeys.Read(store), keyHistory);
        return (transport, tokens);
    }

    /// <summary>What opening the local store found (a failure, a damaged store set aside), and the registry copy beside it.</summary>
    private void OpenStore(CandorClientOptions options, MetricRegistry registry, ClientLog log)
    {
        if (_store.OpenError is { } openError)
            _fault.Failed("opening it", openError);
        if (_store.SetAsideNote is { } note)
            log.Write(note, LogLevel.Warning);
        _store.SetAsideWhileRunning = message => log.Write(message, LogLevel.Warning);
        RegistryCopy.Write(options.DataDirectory, registry, message => log.Write(message, LogLevel.Warning));
    }

    /// <summary>
    /// The send path, Sentry-shaped: the HTTP sender inside the outbox-owning <see cref="OutboxSender"/>, and the
    /// strategy that seals and schedules (whole batches, or one report per request). Each part is given what it uses.
    /// </summary>
    private UploadWorker UploadPath(CandorClientOptions options, MetricRegistry registry, ReportBuilderFactory builders, ReceiptBook receipts,
        PendingOutbox outbox, DeferredErasure erasures, ClientLog log)
    {
        var sealer = new OutboxSealer(builders, _store, outbox, _flusher, includeOpenPeriods: options.DevelopmentUploads);
        IUploadStrategy strategy = options.EffectiveSplitUploads
            ? new SplitUploads(sealer, outbox, options, log)
            : new WholeBatchUploads(sealer, outbox, _store, options, log);
        OutboxSender? sender = null;
        if (_transport is not null)
        {
            IReportSender http = new HttpReportSender(_transport, registry.App);
            // Split-trust metrics (docs/dap.md) leave as DAP reports; the rest of each batch goes on as before.
            if (DapReportSender.Needed(registry))
                http = new DapReportSender(registry, _transport, http, _store, log, _local);
            sender = new OutboxSender(http, outbox, _store, receipts, _gate, erasures, registry, options, log, _local);
        }
        return new UploadWorker(_gate, _flusher, strategy, sender, outbox, receipts, erasures, _store, options, _local);
    }
}
