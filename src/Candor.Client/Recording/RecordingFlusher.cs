using Candor.Client.Consent;
using Candor.Client.LocalStore;
using Candor.Client.Reporting;
using Candor.Protocol;
using Candor.Registry;

namespace Candor.Client.Recording;

/// <summary>
/// Moves what the handles aggregated in memory into the local store, marks the day active, and forgets
/// periods too old to be sent. Callers hold <see cref="ClientContext.Local"/>.
/// </summary>
internal sealed class RecordingFlusher(ClientContext context, ConsentGate consent)
{
    private DateOnly _lastFlushDay = context.Today;
    private DateOnly? _activeDay;

    public void Flush()
    {
        consent.Refresh();
        // What is in memory was recorded since the last flush; it counts for the period that flush was in.
        // With the default one-minute interval, at most a minute's events cross a period boundary late.
        var deltas = context.Recorder.Drain(_lastFlushDay);
        var today = context.Today;
        if (today != _lastFlushDay)
            DiscardTooOld(today);
        _lastFlushDay = today;
        // A record racing a revocation may have reached a slot after it was switched off: never keep it.
        if (!consent.IsGranted)
            return;
        var registry = context.Registry;
        if (context.Options.RecordActivity && _activeDay != today && registry.FindMetric(MetricRegistry.ActiveMetricName) is { } active && consent.Allowed(active))
        {
            deltas.Add(new Observation(active.Name, PeriodKey.Day(today).ToString(), "", 1));
            // Weekly actives need their own flag: counting them from the daily ones would link the days.
            if (registry.FindMetric(MetricRegistry.ActiveWeekMetricName) is { } week && consent.Allowed(week))
                deltas.Add(new Observation(week.Name, PeriodKey.WeekOf(today).ToString(), "", 1));
            _activeDay = today;
        }
        context.Store.Add(deltas.Where(d => registry.FindMetric(d.Metric) is { } m && consent.Allowed(m)).ToList(), registry);
    }

    /// <summary>The consent changed: today's activity is marked again once it is granted again.</summary>
    public void ForgetActivity() => _activeDay = null;

    /// <summary>Erased means erased: today's activity is not marked again.</summary>
    public void MarkActiveToday() => _activeDay = context.Today;

    /// <summary>
    /// Bounds the local store when nothing is uploaded (no collector, or offline): periods the collector
    /// would refuse as too old are never going to leave, so they are not kept either.
    /// </summary>
    private void DiscardTooOld(DateOnly today)
    {
        int retention = context.Options.RetentionDays;
        bool TooOld(Observation o) => PeriodKey.TryParse(o.Period, out var p) && ReportingWindow.TooOld(p.Value.End, today, retention);
        var old = context.Store.Observations().Where(TooOld).ToList();
        if (old.Count == 0)
            return;
        context.Store.DeleteObservations(TooOld);
        context.Log($"Discarded {old.Count} collected entr{(old.Count == 1 ? "y" : "ies")} older than {retention} days that were never sent.");
    }
}
