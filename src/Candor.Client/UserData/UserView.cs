using System.Text;
using Candor.Client.Consent;
using Candor.Client.LocalStore;
using Candor.Client.Outbox;
using Candor.Client.Recording;
using Candor.Client.Reporting;
using Candor.Client.Upload;
using Candor.Registry;

namespace Candor.Client.UserData;

/// <summary>
/// What the user can see and do with the data on the device (privacy invariant 7): status, what was
/// collected, the exact next upload, the history, the log, an export, erasing. Local work only, under
/// <see cref="ClientContext.Local"/> for the length of a read: never behind an upload.
/// </summary>
internal sealed class UserView(ClientContext context, ConsentGate consent, RecordingFlusher flusher, UploadWorker worker, Func<ReportBuilder> builder)
{
    private MetricRegistry Registry => context.Registry;

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
        lock (context.Local)
        {
            var (current, record) = (consent.Current, consent.Record);
            var (newCategories, _) = ConsentScope.NotYetAsked(record, Registry);
            var categories = Registry.Categories.Select(c => new CategoryStatus(c.Name, c.Description,
                current.IsGranted && !newCategories.Contains(c.Name) && !record.DisabledCategories.Contains(c.Name),
                current.IsGranted && newCategories.Contains(c.Name))).ToList();
            // The consent part comes from memory; the counts need the store, and a store that cannot be read shows none.
            var (collected, pending, next, failures) = Read("reading the status",
                () => (context.Store.Observations().Count, context.Outbox.Pending().Count, worker.NextAttempt, worker.Failures), () => (0, 0, (DateTimeOffset?)null, 0));
            return new ClientStatus(Registry.App, Registry.Version, current, NeedsConsentPrompt, categories, record.DisabledMetrics,
                collected, pending, next, failures);
        }
    }

    public IReadOnlyList<CollectedItem> Show()
    {
        List<Observation> observations;
        lock (context.Local)
        {
            flusher.Flush();
            observations = Read("reading what was collected", context.Store.Observations, () => []);
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

    public string? Preview()
    {
        lock (context.Local)
        {
            flusher.Flush();
            return Read("previewing the next upload", () =>
            {
                // With split uploads the next to leave is the part with the earliest drawn moment.
                if (context.Outbox.Pending().OrderBy(b => b.SendAfter ?? DateTimeOffset.MinValue).ThenBy(b => b.Id).FirstOrDefault() is { } first)
                    return first.Json;
                if (!consent.IsGranted)
                    return null;
                var built = builder().Build(context.Store.Observations(), context.Today, includeOpenPeriods: context.Options.DevelopmentUploads);
                if (built.Batches.Count == 0)
                    return null;
                var body = built.Batches[0].Body;
                return Encoding.UTF8.GetString(context.Options.EffectiveSplitUploads ? ReportSplitter.Split(body, "preview")[0].Body : body);
            }, () => null);
        }
    }

    public IReadOnlyList<OutboxBatch> Pending() => Read("reading the pending batches", () => context.Outbox.Pending(), () => []);

    public IReadOnlyList<SentBatch> Sent() => Read("reading the sent batches", () => context.Store.Sent(), () => []);

    public IReadOnlyList<LogEntry> Log() => Read("reading the local log", () => context.Store.LogEntries(), () => []);

    /// <remarks>A store that cannot be read (a full disk at start-up kept it from being created) exports as empty: there is nothing on the device to read.</remarks>
    public string Export(ExportFormat format)
    {
        lock (context.Local)
        {
            flusher.Flush();
            var (observations, pending, sent, receipts) = Read("exporting the local data",
                () => (context.Store.Observations(), context.Outbox.Pending(), context.Store.Sent(), new Transparency.ReceiptBook(context.Store).All()),
                () => (new List<Observation>(), new List<OutboxBatch>(), new List<SentBatch>(), new List<Transparency.Receipt>()));
            return format == ExportFormat.Json
                ? LocalDataExport.Json(Registry, consent.Current, observations, pending, sent, receipts)
                : LocalDataExport.Csv(observations, pending, sent, receipts);
        }
    }

    /// <summary>
    /// Never throws for a full disk: what waits in memory goes at once, and the delete on disk is owed
    /// until the disk has room (<see cref="DeferredErasure"/>); no upload leaves meanwhile.
    /// </summary>
    public void Erase()
    {
        lock (context.Local)
        {
            context.Recorder.Drain(context.Today);
            flusher.ForgetUnsaved(); // recorded before the erase, waiting for the disk: erased too
            var at = context.Time.GetUtcNow();
            context.Erasures.Run(OwedErasure.Everything, "erasing all local data", () => context.Store.EraseAll(at));
            flusher.MarkActiveToday();
        }
    }

    /// <summary>
    /// A view reads the store; a store that cannot be read (a full disk kept it from being created, an I/O
    /// error) shows nothing rather than throwing into the app. The fault is logged once per episode.
    /// </summary>
    private T Read<T>(string what, Func<T> read, Func<T> nothing)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (StorageFault.IsStorageError(e))
        {
            context.Fault.Failed(what, e);
            return nothing();
        }
    }
}
