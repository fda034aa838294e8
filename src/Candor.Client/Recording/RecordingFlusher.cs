using Candor.Client.Consent;
using Candor.Client.LocalStore;
using Candor.Client.Reporting;
using Candor.Protocol;
using Candor.Registry;

namespace Candor.Client.Recording;

/// <summary>
/// Moves what the handles aggregated in memory into the local store, marks the day active, and forgets
/// periods too old to be sent. Callers hold the client's local lock.
///
/// One report per metric and period, whatever the app calls: the collector refuses a metric twice in one
/// batch, but a second batch for a period already sent would count the device twice for that day. So a
/// period, once sealed for upload, takes nothing more (<see cref="SealedPeriods"/>): not the activity flag
/// of a day the clock went back to, not deltas a full disk held back past the seal, not a late write.
/// </summary>
/// <param name="options">Read live: <see cref="CandorClientOptions.RecordActivity"/>, <see cref="CandorClientOptions.RetentionDays"/>
/// and the test switch <see cref="CandorClientOptions.GuardSealedPeriods"/>.</param>
internal sealed class RecordingFlusher(MetricRegistry registry, Recorder recorder, ConsentGate consent, ClientStore store,
    StorageFault fault, ClientLog log, CandorClientOptions options, TimeProvider time)
{
    private readonly SealedPeriods _sealed = new(store);

    private DateOnly _lastFlushDay = time.UtcToday();
    private DateOnly? _activeDay;

    /// <summary>
    /// Deltas a failed write left behind (a full disk), oldest first, written before the next ones: the
    /// store merges them in order, so counts, flags and latest quantities come out as if written in time.
    /// Bounded by <see cref="MaxUnsaved"/>; dropped on a "no" (<see cref="ForgetUnsaved"/>).
    /// </summary>
    private List<Observation> _unsaved = [];

    /// <summary>At most this many unsaved deltas are kept in memory (one flush adds one per recorded value at most).</summary>
    internal const int MaxUnsaved = 20_000;

    private bool _discardOwed;

    /// <summary>
    /// Never throws for a storage fault (a full disk): what was recorded stays in memory and is written by a
    /// later flush, once the store can be written again. The fault is logged once per episode.
    /// </summary>
    public void Flush()
    {
        consent.Refresh();
        // What is in memory was recorded since the last flush; it counts for the period that flush was in.
        // With the default one-minute interval, at most a minute's events cross a period boundary late.
        var deltas = recorder.Drain(_lastFlushDay);
        var today = time.UtcToday();
        if (today != _lastFlushDay)
            _discardOwed = true;
        _lastFlushDay = today;
        // A record racing a revocation may have reached a slot after it was switched off: never keep it.
        if (!consent.IsGranted)
        {
            _unsaved.Clear();
            return;
        }
        if (options.RecordActivity && _activeDay != today && registry.FindMetric(MetricRegistry.ActiveMetricName) is { } active && consent.Allowed(active))
        {
            deltas.Add(new Observation(active.Name, PeriodKey.Day(today).ToString(), "", 1));
            // Weekly actives need their own flag: counting them from the daily ones would link the days.
            if (registry.FindMetric(MetricRegistry.ActiveWeekMetricName) is { } week && consent.Allowed(week))
                deltas.Add(new Observation(week.Name, PeriodKey.WeekOf(today).ToString(), "", 1));
            _activeDay = today;
        }
        // Unsaved deltas are filtered again: a metric switched off since must not be written after all, and a
        // period sealed since (a full disk held them past midnight and the upload) must not get a second report.
        var write = _unsaved.Concat(deltas).Where(d => registry.FindMetric(d.Metric) is { } m && consent.Allowed(m)
            && (!options.GuardSealedPeriods || !_sealed.Contains(d.Period))).ToList();
        try
        {
            if (_discardOwed)
            {
                DiscardTooOld(today);
                _discardOwed = false;
            }
            store.Add(write, registry);
            _unsaved = [];
            _sealed.Save(); // seals a full disk kept from being written, now that it takes writes again
            if (write.Count > 0)
                log.StoreWritten();
        }
        catch (Exception e) when (StorageFault.IsStorageError(e))
        {
            _unsaved = write.Count > MaxUnsaved ? write[^MaxUnsaved..] : write;
            fault.Failed("writing what was recorded", e);
        }
    }

    /// <summary>
    /// The upload worker sealed these observations into batches at <paramref name="today"/>: their periods that
    /// have ended are done, and nothing recorded later may reach them (development uploads also seal periods
    /// still running; those stay open, as documented for that mode).
    /// </summary>
    public void Sealed(IEnumerable<Observation> consumed, DateOnly today) =>
        _sealed.Add(consumed.Select(o => o.Period), today, options.RetentionDays);

    /// <summary>A "no": what waited in memory for the disk is erased with the rest.</summary>
    public void ForgetUnsaved() => _unsaved = [];

    /// <summary>The consent changed: today's activity is marked again once it is granted again.</summary>
    public void ForgetActivity() => _activeDay = null;

    /// <summary>Erased means erased: today's activity is not marked again.</summary>
    public void MarkActiveToday() => _activeDay = time.UtcToday();

    /// <summary>
    /// Bounds the local store when nothing is uploaded (no collector, or offline): periods the collector
    /// would refuse as too old are never going to leave, so they are not kept either.
    /// </summary>
    private void DiscardTooOld(DateOnly today)
    {
        int retention = options.RetentionDays;
        bool TooOld(Observation o) => PeriodKey.TryParse(o.Period, out var p) && ReportingWindow.TooOld(p.Value.End, today, retention);
        var old = store.Observations().Where(TooOld).ToList();
        if (old.Count == 0)
            return;
        store.DeleteObservations(TooOld);
        log.Write($"Discarded {old.Count} collected entr{(old.Count == 1 ? "y" : "ies")} older than {retention} days that were never sent.");
    }
}
