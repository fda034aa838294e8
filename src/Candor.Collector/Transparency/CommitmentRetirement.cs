using Candor.Protocol;

namespace Candor.Collector.Transparency;

/// <summary>
/// When a held commitment goes: with the raw rows of its report's period, but recorded as the ISO week
/// holding the period's last day rather than the period itself, so a commitment row does not say which
/// day of the week its report counted (a daily <c>candor.active</c> and the week's reports of one batch
/// retire alike). A day's commitment therefore outlives its raw row by up to six days; a receipt for it
/// in that gap finds no raw row to take a report off and is answered <c>expired</c>, as after retirement.
/// Whether a retirement week is due is <see cref="Storage.RetentionRule"/>'s decision, the same as for raw rows.
/// </summary>
public static class CommitmentRetirement
{
    /// <summary>The retirement key of a report's period: an ISO week as <c>YYYY-Www</c>.</summary>
    public static string For(string period) =>
        PeriodKey.TryParse(period, out var p) ? PeriodKey.WeekOf(p.Value.End.AddDays(-1)).ToString() : period;
}
