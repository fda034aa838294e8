using Candor.Client.Consent;
using Candor.Client.LocalStore;
using Candor.Client.Outbox;
using Candor.Client.Recording;
using Candor.Client.Upload;
using Candor.Registry;

namespace Candor.Client.UserData;

/// <summary>
/// What the user can see of the data on the device (privacy invariant 7): status, what was collected,
/// the history, the log, an export. The exact next upload is <see cref="UploadPreview"/>'s, erasing is
/// <see cref="LocalErasure"/>'s. Local work only, under the client's local lock for the length of a
/// read: never behind an upload.
/// </summary>
/// <param name="worker">The upload schedule shown in the status (next attempt, failures in a row).</param>
internal sealed class UserView(MetricRegistry registry, ConsentGate consent, RecordingFlusher flusher, UploadWorker worker,
    ClientStore store, PendingOutbox outbox, StorageFault fault, Lock local)
{
    private MetricRegistry Registry => registry;

    public bool NeedsConsentPrompt
    {
        get
        {
            var (current, record) = (consent.Current, consent.Record);
            return current.Source is ConsentSource.Default
                || (current is { Source: ConsentSource.User, IsGranted: true } && ConsentScope.NotYetAsked(record, Registry) is { } n && (n.Categories.Length > 0 || n.Metrics.Length > 0));
        }
    }

    public ClientStatus Status()
    {
        lock (local)
        {
            var (current, record) = (consent.Current, consent.Record);
            var (newCategories, _) = ConsentScope.NotYetAsked(record, Registry);
            var categories = Registry.Categories.Select(c => new CategoryStatus(c.Name, c.Description,
                current.IsGranted && !newCategories.Contains(c.Name) && !record.DisabledCategories.Contains(c.Name),
                current.IsGranted && newCategories.Contains(c.Name))).ToList();
            // The consent part comes from memory; the counts need the store, and a store that cannot be read shows none.
            var (collected, pending, next, failures) = Read("reading the status",
                () => (store.Observations().Count, outbox.Pending().Count, worker.NextAttempt, worker.Failures), () => (0, 0, (DateTimeOffset?)null, 0));
            return new ClientStatus(Registry.App, Registry.Version, current, NeedsConsentPrompt, categories, record.DisabledMetrics,
                collected, pending, next, failures);
        }
    }

    public IReadOnlyList<CollectedItem> Show()
    {
        List<Observation> observations;
        lock (local)
        {
            flusher.Flush();
            observations = Read("reading what was collected", store.Observations, () => []);
        }
        var items = new List<CollectedItem>();
        foreach (var g in observations.GroupBy(o => (o.Metric, o.Period)))
        {
            var m = Registry.FindMetric(g.Key.Metric);
            string summary = m?.Type switch
            {
                MetricType.Counter => $"{g.Sum(o => o.Amount)} time(s)",
                MetricType.Flag => "yes",
                MetricType.Quantity => $"{g.Last().Amount} (sent as {(m.Transform == NumberTransform.Log10 ? "its order of magnitude" : "its range")})",
                MetricType.Enum => string.Join(", ", g.Select(o => $"{o.Item} {o.Amount} time(s)")),
                MetricType.Histogram => string.Join(", ", g.Select(o => $"{o.Amount} in the range from {o.Item}")),
                _ => string.Join(", ", g.Select(o => $"{o.Item}={o.Amount}")),
            };
            items.Add(new CollectedItem(g.Key.Metric, m?.Description ?? "(no longer in the registry; will not be sent)", g.Key.Period, summary));
        }
        return items;
    }

    public IReadOnlyList<OutboxBatch> Pending() => Read("reading the pending batches", () => outbox.Pending(), () => []);

    public IReadOnlyList<SentBatch> Sent() => Read("reading the sent batches", () => store.Sent(), () => []);

    public IReadOnlyList<LogEntry> Log() => Read("reading the local log", () => store.LogEntries(), () => []);

    /// <remarks>A store that cannot be read (a full disk at start-up kept it from being created) exports as empty: there is nothing on the device to read.</remarks>
    public string Export(ExportFormat format)
    {
        lock (local)
        {
            flusher.Flush();
            var (observations, pending, sent, receipts) = Read("exporting the local data",
                () => (store.Observations(), outbox.Pending(), store.Sent(), new Transparency.ReceiptBook(store).All()),
                () => (new List<Observation>(), new List<OutboxBatch>(), new List<SentBatch>(), new List<Transparency.Receipt>()));
            return format == ExportFormat.Json
                ? LocalDataExport.Json(Registry, consent.Current, observations, pending, sent, receipts)
                : LocalDataExport.Csv(observations, pending, sent, receipts);
        }
    }

    /// <summary>
    /// A view reads the store; a store that cannot be read (a full disk kept it from being created, an I/O
    /// error) shows nothing rather than throwing into the app. The fault is logged once per episode.
    /// </summary>
    private T Read<T>(string what, Func<T> read, Func<T> nothing) => fault.Quietly(what, read, nothing);
}
