namespace Candor.Collector.Dashboard;

/// <summary>
/// One bar of a share chart: the share in the newest complete period and, for the trend, the share in
/// the range's first complete period (null when the value was not published then, or there is one period).
/// </summary>
internal readonly record struct ShareRow(string Label, double Share, double? First);
