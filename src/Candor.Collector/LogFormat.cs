namespace Candor.Collector;

/// <summary>How the collector writes its log lines to standard output (<see cref="CollectorOptions.LogFormat"/>).</summary>
public enum LogFormat
{
    /// <summary>One plain line per record: "info: Category[0] message".</summary>
    Text,

    /// <summary>One JSON object per line (Timestamp, EventId, LogLevel, Category, Message, State), for log shippers.</summary>
    Json,
}
