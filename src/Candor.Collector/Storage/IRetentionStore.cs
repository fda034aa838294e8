namespace Candor.Collector.Storage;

/// <summary>Privacy invariant 8, raw rows past retention and the public purge log (<see cref="Retention.RetentionJanitor"/>).</summary>
public interface IRetentionStore
{
    /// <summary>
    /// Deletes the raw rows of <paramref name="app"/> whose period lies entirely before
    /// <paramref name="purgedBefore"/> (the period's end is on or before that day), and the commitments
    /// retiring with them; rollups stay. The purge log gets an entry under <paramref name="today"/> whether
    /// rows went or not. Safe to run from several collectors at once: each row is counted by the one purge
    /// that deleted it. When the task completes, the deleted rows' bytes are overwritten in the database files.
    /// </summary>
    Task<PurgeRecord> PurgeRawAsync(string app, DateOnly purgedBefore, DateOnly today, CancellationToken cancellationToken = default);

    /// <summary>The purge log of one app, oldest first.</summary>
    Task<IReadOnlyList<PurgeRecord>> ReadPurgesAsync(string app, CancellationToken cancellationToken = default);
}

/// <summary>One line of the purge log: on <paramref name="Day"/> (UTC), the raw rows of periods before
/// <paramref name="PurgedBefore"/> were deleted: <paramref name="RawRows"/> rows holding <paramref name="Reports"/> reports.</summary>
public sealed record PurgeRecord(string App, DateOnly Day, DateOnly PurgedBefore, long RawRows, long Reports);
