using Candor.Collector.Publishing;
using Candor.Protocol;
using Candor.Registry;

namespace Candor.Collector.Dashboard;

/// <summary>The weeks a dashboard page shows, and the range of equal length just before them.</summary>
internal sealed record RangeSelection(PeriodKey Start, PeriodKey End, PeriodKey PreviousStart, PeriodKey PreviousEnd, string? Preset, DateOnly Today)
{
    public static readonly (string Key, int Weeks, string Label)[] Presets = [("4w", 4, "4 weeks"), ("12w", 12, "12 weeks"), ("52w", 52, "52 weeks")];

    public int Weeks => (End.Start.DayNumber - Start.Start.DayNumber) / 7 + 1;

    /// <summary>A preset (<c>range=4w</c>, default 12 weeks) or whole ISO weeks from <c>from</c> to <c>to</c>.</summary>
    public static RangeSelection? Resolve(string? range, string? from, string? to, DateOnly today, out string? error)
    {
        error = null;
        PeriodKey start, end;
        string? preset = null;
        if (from is not null || to is not null)
        {
            if (!PublicRange.TryResolve(MetricPeriod.Week, from, to, today, out start, out end, out error))
                return null;
        }
        else
        {
            var chosen = Presets.FirstOrDefault(r => r.Key == range);
            if (chosen.Key is null) chosen = Presets[1];
            preset = chosen.Key;
            end = PeriodKey.WeekOf(today);
            start = PeriodKey.WeekOf(end.Start.AddDays(-7 * (chosen.Weeks - 1)));
        }
        int weeks = (end.Start.DayNumber - start.Start.DayNumber) / 7 + 1;
        var prevEnd = PeriodKey.WeekOf(start.Start.AddDays(-7));
        var prevStart = PeriodKey.WeekOf(prevEnd.Start.AddDays(-7 * (weeks - 1)));
        return new RangeSelection(start, end, prevStart, prevEnd, preset, today);
    }

    /// <summary>The first and last period of <paramref name="kind"/> inside this range (or the previous one).</summary>
    public (PeriodKey From, PeriodKey To) Periods(MetricPeriod kind, bool previous = false) => previous
        ? (PeriodKey.For(kind, PreviousStart.Start), PeriodKey.For(kind, PreviousEnd.End.AddDays(-1)))
        : (PeriodKey.For(kind, Start.Start), PeriodKey.For(kind, End.End.AddDays(-1)));

    /// <summary>The query string that selects this range again (for links to charts and data).</summary>
    public string Query => Preset is { } p ? $"range={p}" : $"from={Start}&to={End}";
}
