namespace Candor.Collector.Storage;

/// <summary>What <see cref="Publishing.Publisher"/> reads and freezes: the rollups and the released periods.</summary>
public interface IReleaseStore
{
    /// <summary>Rollup cells of one app (optionally one metric), ordered by metric, period, value.</summary>
    Task<IReadOnlyList<RollupCell>> ReadRollupsAsync(string app, string? metric = null, CancellationToken cancellationToken = default);

    /// <summary>Rollup cells of one metric whose period lies in [fromPeriod, toPeriod] (period keys of one kind compare as text).</summary>
    Task<IReadOnlyList<RollupCell>> ReadRollupsAsync(string app, string metric, string fromPeriod, string toPeriod, CancellationToken cancellationToken = default);

    /// <summary>Stored releases of one metric whose period lies in [fromPeriod, toPeriod], ordered by period.</summary>
    Task<IReadOnlyList<StoredRelease>> ReadReleasesAsync(string app, string metric, string fromPeriod, string toPeriod, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores releases whose (app, metric, period) has none yet; an existing release is never replaced
    /// (published figures are frozen, and when two collectors release a period at once the first wins).
    /// </summary>
    Task SaveReleasesAsync(IReadOnlyList<StoredRelease> releases, CancellationToken cancellationToken = default);
}

/// <summary>
/// Counts for one (app, metric, period, value). <see cref="Reports"/> is how many reports carried the
/// value (for a histogram: had this bucket); <see cref="Total"/> is the observations (equal to
/// Reports for every type but histograms, where it is the sum of the bucket's counts).
/// </summary>
public sealed record RollupCell(string App, string Metric, string Period, string Value, long Reports, long Total);

/// <summary>A period's published figures, frozen: <paramref name="Document"/> is a <see cref="Publishing.ReleaseDocument"/> as JSON.</summary>
public sealed record StoredRelease(string App, string Metric, string Period, DateOnly ReleasedOn, string Document);
