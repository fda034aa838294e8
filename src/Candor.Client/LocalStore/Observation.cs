namespace Candor.Client.LocalStore;

/// <summary>
/// What was recorded for one metric in one period, as kept on the device. <see cref="Item"/> is empty,
/// an enum value or a histogram bucket's lower bound. Raw numbers stay here; only the report builder
/// turns them into what may leave.
/// </summary>
public sealed record Observation(string Metric, string Period, string Item, long Amount);

/// <summary>One line of the local log (drops, refusals, consent changes): the user can read why something was not sent.</summary>
public sealed record LogEntry(DateTimeOffset At, string Message);

/// <summary>A batch that was accepted by the collector, kept in a bounded local history.</summary>
public sealed record SentBatch(DateTimeOffset SentAt, string Body, int Accepted);
