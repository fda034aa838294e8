using Candor.Protocol;

namespace Candor.Collector.Dashboard;

/// <summary>
/// Which periods are still arriving. Clients send a period's reports after it ends, at the collector's
/// next-report delay (3 to 10 days by default) plus jitter, so the newest periods always hold only part of
/// their reports. Drawn like the others they looked like a collapse (the demo's last day fell from about
/// 1,560 to 830); the dashboard marks them instead and leaves them out of every headline and change.
/// </summary>
internal sealed class ArrivalWindow(int days)
{
    /// <summary>One day more than the longest next-report delay: a report sent then is in by the next morning.</summary>
    public static ArrivalWindow For(CollectorOptions options) =>
        new((int)Math.Ceiling(options.NextReportMaxSeconds / 86400.0) + 1);

    public int Days { get; } = days;

    public bool IsArriving(PeriodKey period, DateOnly today) => today < period.End.AddDays(Days);
}
