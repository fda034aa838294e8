namespace Candor.Client.Reporting;

/// <summary>The collector's period window (docs/protocol.md, Periods), mirrored so the client never sends what would be refused.</summary>
internal static class ReportingWindow
{
    /// <summary>A period whose last day is older than today minus retention is refused, and with it the whole batch.</summary>
    public static bool TooOld(DateOnly periodEnd, DateOnly today, int retentionDays) =>
        periodEnd.AddDays(-1) < today.AddDays(-retentionDays);
}
