using Candor.Client.LocalStore;
using Candor.Client.Outbox;
using Candor.Client.UserData;

namespace Candor.Client;

public sealed partial class CandorClient
{
    // ---- The user's view (privacy invariant 7) ----

    /// <summary>What the client holds and does right now: consent, categories and metrics switched off, entries kept, batches waiting, the next upload and failures in a row.</summary>
    public ClientStatus Status() => _view.Status();

    /// <inheritdoc cref="Status"/>
    public Task<ClientStatus> StatusAsync(CancellationToken cancel = default) => OffThread(Status, cancel);

    /// <summary>What was collected and not yet sent, in words from the registry.</summary>
    public IReadOnlyList<CollectedItem> Show() => _view.Show();

    /// <inheritdoc cref="Show"/>
    public Task<IReadOnlyList<CollectedItem>> ShowAsync(CancellationToken cancel = default) => OffThread(Show, cancel);

    /// <summary>
    /// The exact JSON of the next upload: the oldest pending batch, or else the batch the closed periods
    /// would be sealed into now. Null when nothing would be sent.
    /// </summary>
    public string? Preview() => _preview.Preview();

    /// <inheritdoc cref="Preview"/>
    public Task<string?> PreviewAsync(CancellationToken cancel = default) => OffThread(Preview, cancel);

    /// <summary>The batches sealed and waiting for the collector, oldest first.</summary>
    public IReadOnlyList<OutboxBatch> Pending() => _view.Pending();

    /// <inheritdoc cref="Pending"/>
    public Task<IReadOnlyList<OutboxBatch>> PendingAsync(CancellationToken cancel = default) => OffThread(Pending, cancel);

    /// <summary>The bounded history of batches the collector accepted (newest last).</summary>
    public IReadOnlyList<SentBatch> Sent() => _view.Sent();

    /// <inheritdoc cref="Sent"/>
    public Task<IReadOnlyList<SentBatch>> SentAsync(CancellationToken cancel = default) => OffThread(Sent, cancel);

    /// <summary>The local log: consent changes, drops and refusals, with reasons.</summary>
    public IReadOnlyList<LogEntry> Log() => _view.Log();

    /// <inheritdoc cref="Log"/>
    public Task<IReadOnlyList<LogEntry>> LogAsync(CancellationToken cancel = default) => OffThread(Log, cancel);

    /// <summary>Everything held locally (collected, pending, sent) as JSON or CSV.</summary>
    public string Export(ExportFormat format) => _view.Export(format);

    /// <inheritdoc cref="Export"/>
    public Task<string> ExportAsync(ExportFormat format, CancellationToken cancel = default) => OffThread(() => Export(format), cancel);

    /// <summary>Erases everything collected, pending or sent. Consent is kept: erasing is not an answer.</summary>
    public void Erase() => _erasure.Erase();

    /// <inheritdoc cref="Erase"/>
    public Task EraseAsync(CancellationToken cancel = default) => OffThread(Erase, cancel);
}
