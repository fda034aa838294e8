namespace Candor.Collector.Dashboard;

/// <summary>One bar of a bar chart: this range's value and, when compared, the previous range's.</summary>
internal readonly record struct BarRow(string Label, long Value, long? Previous);
