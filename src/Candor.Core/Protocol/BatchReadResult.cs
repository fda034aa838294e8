namespace Candor.Protocol;

/// <summary>What the reader needs besides the body: today's date and the store's limits.</summary>
/// <param name="Today">Today in UTC, from the collector's clock.</param>
/// <param name="RetentionDays">Periods that ended this many days ago or earlier are refused: they would be purged at once.</param>
/// <param name="MaxReports">Most reports one batch may carry.</param>
internal sealed record BatchRules(DateOnly Today, int RetentionDays = 90, int MaxReports = 1000);

internal enum BatchStatus { Valid, Malformed, UnknownSchema, Invalid }

/// <summary>The outcome of reading one batch: either every report, valid and canonical, or the problems.</summary>
internal sealed class BatchReadResult
{
    public BatchStatus Status { get; init; }
    public int? Schema { get; init; }
    public IReadOnlyList<ReportProblem> Problems { get; init; } = [];
    public IReadOnlyList<ValidatedReport> Reports { get; init; } = [];
}
