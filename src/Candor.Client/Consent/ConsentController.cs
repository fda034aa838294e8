using Candor.Client.LocalStore;
using Candor.Client.Outbox;
using Candor.Client.Recording;
using Candor.Registry;

namespace Candor.Client.Consent;

/// <summary>
/// The user's answers and switches, applied through the <see cref="ConsentGate"/>. Each change is local
/// work only (the consent file and the store), done under the client's local lock: it never
/// waits for an upload, and a "no" also cancels a request in flight.
/// </summary>
internal sealed class ConsentController(MetricRegistry registry, ConsentGate gate, RecordingFlusher flusher, ClientStore store,
    PendingOutbox outbox, DeferredErasure erasures, ClientLog log, Lock local)
{
    private MetricRegistry Registry => registry;

    public void Grant() => Change(r => r with
    {
        State = ConsentState.Granted,
        RegistryVersion = Registry.Version,
        KnownCategories = r.KnownCategories.Union(Registry.Categories.Select(c => c.Name)).ToArray(),
        KnownMetrics = r.KnownMetrics.Union(Registry.Metrics.Select(m => m.Name)).ToArray(),
    }, "The user agreed to collection (registry version " + Registry.Version + ").");

    public void Deny() => Change(r => r with { State = ConsentState.Denied }, "The user declined; all unsent data was erased.");

    public void Reset() => Change(r => r with { State = ConsentState.Unset }, "The user's answer was reset; all unsent data was erased.");

    private void Change(Func<ConsentRecord, ConsentRecord> change, string logLine)
    {
        // A "no" stops recording before anything else, even before the lock is free.
        if (change(gate.Record).State != ConsentState.Granted)
            gate.StopRecording();
        lock (local)
        {
            gate.Change(change(gate.Record), logLine);
            flusher.ForgetActivity();
        }
    }

    public void Switch(string name, bool category, bool enable)
    {
        name = category
            ? Registry.FindCategory(name)?.Name ?? throw new ArgumentException($"Unknown category '{name}'; the categories are: {string.Join(", ", Registry.Categories.Select(c => c.Name))}.", nameof(name))
            : Registry.FindMetric(name)?.Name ?? throw new ArgumentException($"Unknown metric '{name}'; see 'status' or the registry for the metrics.", nameof(name));
        lock (local)
        {
            flusher.Flush();
            var r = gate.Record;
            r = (category, enable) switch
            {
                (true, false) => r with { DisabledCategories = r.DisabledCategories.Union([name]).ToArray() },
                (false, false) => r with { DisabledMetrics = r.DisabledMetrics.Union([name]).ToArray() },
                // Switching on by hand is the user's explicit yes for it, also when it is new since they answered.
                (true, true) => r with
                {
                    DisabledCategories = r.DisabledCategories.Where(c => c != name).ToArray(),
                    KnownCategories = r.KnownCategories.Union([name]).ToArray(),
                    KnownMetrics = r.KnownMetrics.Union(Registry.Metrics.Where(m => m.Category == name).Select(m => m.Name)).ToArray(),
                },
                (false, true) => r with
                {
                    DisabledMetrics = r.DisabledMetrics.Where(m => m != name).ToArray(),
                    KnownMetrics = r.KnownMetrics.Union([name]).ToArray(),
                },
            };
            gate.Change(r, $"The user switched {(category ? "category" : "metric")} {name} {(enable ? "on" : "off")}.");
            if (!enable)
                RemoveWhatIsNoLongerAllowed();
        }
    }

    /// <summary>
    /// A switched-off category or metric leaves nothing behind: its observations go, and pending batches are
    /// rewritten without it. On a full disk this is owed (<see cref="LocalStore.DeferredErasure"/>) and the
    /// call still returns: the switch already holds in memory (the gate), and no batch is sent with the
    /// metric meanwhile (the upload worker checks every batch against the gate before it leaves).
    /// </summary>
    public void RemoveWhatIsNoLongerAllowed() =>
        erasures.Run(OwedErasure.SwitchedOff, "removing what was collected for a switched-off metric or category", () =>
        {
            store.DeleteObservations(o => Registry.FindMetric(o.Metric) is not { } m || !gate.Allowed(m));
            foreach (var batch in outbox.Pending())
            {
                var kept = AllowedReports.Filter(batch.Body, IsAllowed);
                if (!kept.Changed)
                    continue;
                outbox.Replace(batch.Id, kept.Body);
                if (kept.Damaged)
                    // A body that is not a batch any more cannot be checked, so it cannot be sent either.
                    log.Write("Dropped a damaged pending batch that could not be read (its body is not a batch).", Microsoft.Extensions.Logging.LogLevel.Warning);
            }
        });

    private bool IsAllowed(string metric) => Registry.FindMetric(metric) is { } m && gate.Allowed(m);
}
