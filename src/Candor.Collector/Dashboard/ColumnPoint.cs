namespace Candor.Collector.Dashboard;

/// <summary>One column of a period chart; <see cref="Arriving"/> marks a period whose reports are still coming in.</summary>
internal readonly record struct ColumnPoint(string Period, long? Value, bool Arriving);
