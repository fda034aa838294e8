namespace Candor.Client.LocalStore;

/// <summary>
/// What was recorded for one metric in one period, as kept on the device. <see cref="Item"/> is empty,
/// an enum value or a histogram bucket's lower bound. Raw numbers stay here; only the report builder
/// turns them into what may leave.
/// </summary>
internal sealed record Observation(string Metric, string Period, string Item, long Amount);
