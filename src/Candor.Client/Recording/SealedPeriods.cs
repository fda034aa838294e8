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
    private bool _unsaved;

    public bool Contains(string period) => Load().Contains(period);

    /// <summary>
    /// Remembers the ended periods among <paramref name="periods"/>. Never throws for a storage fault (a full
    /// disk): the set holds in memory, which is what the flusher asks, and is saved by a later call.
    /// </summary>
    public void Add(IEnumerable<string> periods, DateOnly today, int retentionDays)
    {
        var set = Load();
        foreach (var period in periods)
            if (PeriodKey.TryParse(period, out var p) && p.Value.End <= today)
                _unsaved |= set.Add(period);
        // Too old for the collector: nothing recorded for them can leave anyway (the flusher discards them).
        _unsaved |= set.RemoveWhere(period => !PeriodKey.TryParse(period, out var p) || ReportingWindow.TooOld(p.Value.End, today, retentionDays)) > 0;
        Save();
    }

    /// <summary>Writes the set if it changed since it was last written; a storage fault leaves it for the next try.</summary>
    public void Save()
    {
        if (!_unsaved)
            return;
        try
        {
            store.SetState(Key, string.Join(' ', Load().Order(StringComparer.Ordinal)));
            _unsaved = false;
        }
        catch (Exception e) when (StorageFault.IsStorageError(e))
        {
            // A restart before the disk frees up forgets these seals; until then the memory copy guards them.
        }
    }

    /// <summary>
    /// The set, read once. A storage fault (a full disk can fail even the store's opening) gives an empty set
    /// for now and a new read next time: while the store cannot be read it cannot be written either, and the
    /// flusher filters what it held back again, against the real set, when the write finally goes through.
    /// </summary>
    private HashSet<string> Load()
    {
        if (_periods is { } periods)
            return periods;
        try
        {
            return _periods = new HashSet<string>((store.GetState(Key) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
        }
        catch (Exception e) when (StorageFault.IsStorageError(e))
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }
    }
}
