using Candor.Client.LocalStore;
using Candor.Client.Reporting;
using Candor.Protocol;

namespace Candor.Client.Recording;

/// <summary>
/// The ended periods whose observations were sealed into batches, kept in the local store so that a restart
/// remembers them. A period is sealed once; anything recorded for it afterwards would be a second report
/// for the same device and period (the daily-actives count would count the device twice that day). The
/// ways it happened: the clock set back to a day already sent (the activity flag was marked again), and
/// deltas a full disk held in memory across midnight and the seal. Periods too old for the collector are
/// forgotten, which bounds the list by the retention (about 90 days and 13 weeks).
/// </summary>
internal sealed class SealedPeriods(ClientStore store)
{
    private const string Key = "recording.sealed_periods";
    private HashSet<string>? _periods;

    public bool Contains(string period) => Load().Contains(period);

    public void Add(IEnumerable<string> periods, DateOnly today, int retentionDays)
    {
        var set = Load();
        bool changed = false;
        foreach (var period in periods)
            if (PeriodKey.TryParse(period, out var p) && p.Value.End <= today)
                changed |= set.Add(period);
        // Too old for the collector: nothing recorded for them can leave anyway (the flusher discards them).
        changed |= set.RemoveWhere(period => !PeriodKey.TryParse(period, out var p) || ReportingWindow.TooOld(p.Value.End, today, retentionDays)) > 0;
        if (changed)
            store.SetState(Key, string.Join(' ', set.Order(StringComparer.Ordinal)));
    }

    private HashSet<string> Load() =>
        _periods ??= new HashSet<string>((store.GetState(Key) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
}
