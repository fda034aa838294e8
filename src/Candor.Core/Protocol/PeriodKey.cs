using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Candor.Registry;

namespace Candor.Protocol;

/// <summary>
/// A report period: a UTC day (<c>2026-11-22</c>) or an ISO 8601 week (<c>2026-W47</c>). Times never
/// leave a device or enter the store at a finer grain than this (privacy invariant 4).
/// </summary>
internal readonly record struct PeriodKey(MetricPeriod Kind, DateOnly Start)
{
    /// <summary>First day after the period.</summary>
    public DateOnly End => Kind == MetricPeriod.Day ? Start.AddDays(1) : Start.AddDays(7);

    public static PeriodKey Day(DateOnly day) => new(MetricPeriod.Day, day);

    /// <summary>The ISO week that contains <paramref name="day"/>.</summary>
    public static PeriodKey WeekOf(DateOnly day)
    {
        int dow = ((int)day.DayOfWeek + 6) % 7; // Monday = 0
        return new(MetricPeriod.Week, day.AddDays(-dow));
    }

    public static PeriodKey For(MetricPeriod kind, DateOnly day) => kind == MetricPeriod.Day ? Day(day) : WeekOf(day);

    // Keyed by an int (the day number and the kind), not by the record struct, whose generated hashing and
    // equality go through two default comparers on every lookup.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> Texts = new();

    private int TextKey => (Start.DayNumber << 1) | (Kind == MetricPeriod.Week ? 1 : 0);

    /// <summary>
    /// The canonical text. Interned: the few periods in use are formatted once, and equal periods
    /// share one string (the ingest path compares and hashes them often).
    /// </summary>
    public override string ToString()
    {
        int key = TextKey;
        if (Texts.TryGetValue(key, out var text))
            return text;
        text = Format();
        // Bounded: periods outside the accepted window never reach here more than a few thousand times.
        if (Texts.Count < 100_000)
            Texts.TryAdd(key, text);
        return text;
    }

    private string Format()
    {
        if (Kind == MetricPeriod.Day)
            return Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var dt = Start.ToDateTime(TimeOnly.MinValue);
        return string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(dt):D4}-W{ISOWeek.GetWeekOfYear(dt):D2}");
    }

    /// <summary>Parses <c>YYYY-MM-DD</c> or <c>YYYY-Www</c>; nothing else (no times, no offsets).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, [NotNullWhen(true)] out PeriodKey? period)
    {
        period = null;
        if (text.Length == 10 && text[4] == '-' && text[7] == '-')
        {
            if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            {
                period = Day(d);
                return true;
            }
            return false;
        }
        if (text.Length == 8 && text[4] == '-' && text[5] == 'W'
            && int.TryParse(text[..4], NumberStyles.None, CultureInfo.InvariantCulture, out int year)
            && int.TryParse(text[6..], NumberStyles.None, CultureInfo.InvariantCulture, out int week)
            && year is >= 1 and <= 9998 && week >= 1 && week <= ISOWeek.GetWeeksInYear(year))
        {
            period = new PeriodKey(MetricPeriod.Week, DateOnly.FromDateTime(ISOWeek.ToDateTime(year, week, DayOfWeek.Monday)));
            return true;
        }
        return false;
    }

    /// <summary>
    /// <see cref="TryParse(ReadOnlySpan{char}, out PeriodKey?)"/> over the UTF-8 bytes of an unescaped JSON
    /// string, without transcoding them or going through the culture-aware date parser (the ingest path
    /// reads a period for every report). Accepts exactly what the text parser accepts (a differential test
    /// pins it): ASCII digits only, a real calendar day of years 1 to 9999, or a week that year has.
    /// </summary>
    public static bool TryParseUtf8(ReadOnlySpan<byte> text, out PeriodKey period)
    {
        period = default;
        if (text.Length == 10 && text[4] == '-' && text[7] == '-')
        {
            if (!Digits(text[..4], out int year) || !Digits(text.Slice(5, 2), out int month) || !Digits(text.Slice(8, 2), out int day)
                || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
                return false;
            period = Day(new DateOnly(year, month, day));
            return true;
        }
        if (text.Length == 8 && text[4] == '-' && text[5] == 'W'
            && Digits(text[..4], out int wyear) && Digits(text[6..], out int week)
            && wyear is >= 1 and <= 9998 && week >= 1 && week <= ISOWeek.GetWeeksInYear(wyear))
        {
            period = new PeriodKey(MetricPeriod.Week, DateOnly.FromDateTime(ISOWeek.ToDateTime(wyear, week, DayOfWeek.Monday)));
            return true;
        }
        return false;
    }

    private static bool Digits(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        foreach (byte b in text)
        {
            if (b is < (byte)'0' or > (byte)'9')
                return false;
            value = value * 10 + (b - '0');
        }
        return true;
    }

    public static PeriodKey Parse(string text) =>
        TryParse(text, out var p) ? p.Value : throw new FormatException($"'{text}' is neither a day (YYYY-MM-DD) nor an ISO week (YYYY-Www).");
}
