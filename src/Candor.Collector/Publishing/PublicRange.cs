using Candor.Protocol;
using Candor.Registry;

namespace Candor.Collector.Publishing;

/// <summary>Parses and bounds the <c>from</c>/<c>to</c> of a public query, with defaults per granularity.</summary>
internal static class PublicRange
{
    /// <summary>Default span: 12 ISO weeks or 28 days, ending with the current period.</summary>
    public const int DefaultWeeks = 12, DefaultDays = 28;

    /// <summary>Longest span one query may cover: about five years.</summary>
    public const int MaxDays = 5 * 366;

    /// <summary>
    /// The oldest period of <paramref name="kind"/> the public may ask for: the one holding the day
    /// <see cref="MaxDays"/> before today. The release job releases every final period from here on, so a
    /// query never names a final period that will not get a release.
    /// </summary>
    public static PeriodKey Horizon(MetricPeriod kind, DateOnly today) => PeriodKey.For(kind, today.AddDays(-MaxDays));

    public static bool TryResolve(MetricPeriod kind, string? from, string? to, DateOnly today, out PeriodKey start, out PeriodKey end, out string? error)
    {
        error = null;
        end = PeriodKey.For(kind, today);
        start = kind == MetricPeriod.Week ? PeriodKey.For(kind, end.Start.AddDays(-7 * (DefaultWeeks - 1))) : PeriodKey.Day(end.Start.AddDays(-(DefaultDays - 1)));
        if (to is not null && !TryPeriod(kind, to, "to", out end, out error)) return false;
        if (from is not null && !TryPeriod(kind, from, "from", out start, out error)) return false;
        if (to is not null && from is null)
            start = kind == MetricPeriod.Week ? PeriodKey.For(kind, end.Start.AddDays(-7 * (DefaultWeeks - 1))) : PeriodKey.Day(end.Start.AddDays(-(DefaultDays - 1)));
        if (start.Start > end.Start)
        {
            error = $"from ({start}) is after to ({end}).";
            return false;
        }
        if (end.Start.DayNumber - start.Start.DayNumber > MaxDays)
        {
            error = $"A query may span at most {MaxDays} days.";
            return false;
        }
        if (start.Start < Horizon(kind, today).Start)
        {
            error = $"Figures are published for the last {MaxDays} days: from must be {Horizon(kind, today)} or later.";
            return false;
        }
        return true;
    }

    private static bool TryPeriod(MetricPeriod kind, string text, string name, out PeriodKey period, out string? error)
    {
        period = default;
        error = null;
        if (!PeriodKey.TryParse(text, out var p))
        {
            error = $"{name} must be a day (YYYY-MM-DD) or an ISO week (YYYY-Www).";
            return false;
        }
        // A day bound on a weekly metric means the week that holds it; a week bound on a daily metric its Monday or Sunday.
        period = p.Value.Kind == kind ? p.Value
            : kind == MetricPeriod.Week ? PeriodKey.WeekOf(p.Value.Start)
            : PeriodKey.Day(name == "from" ? p.Value.Start : p.Value.End.AddDays(-1));
        return true;
    }
}
