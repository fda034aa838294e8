namespace Candor.Collector.Dashboard;

/// <summary>One series of a line chart: a value's share per period, null where it was not published (withheld).</summary>
internal sealed record SeriesLine(string Label, IReadOnlyList<double?> Shares);
