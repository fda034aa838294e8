using Candor.Protocol;

namespace Candor.Collector.Publishing;

/// <summary>
/// What the public may know about one period of one metric. A <see cref="PeriodState.Pending"/> or
/// <see cref="PeriodState.Releasing"/> period has no rows and a zero total, whatever was reported for it.
/// </summary>
/// <param name="FinalOn">The UTC day the period becomes (or became) final: its end plus <c>PublishAfterDays</c>.</param>
/// <param name="Cells">Published values in registry order, then the "other (withheld)" row if it passed the threshold.</param>
/// <param name="Total">Sum of the published rows, the withheld row included: what shares are shares of.</param>
/// <param name="Epsilon">The epsilon this period's release was made with (settings may change later; releases do not).</param>
/// <param name="Threshold">The threshold this period's release was made with.</param>
internal sealed record PublishedPeriod(PeriodKey Period, PeriodState State, DateOnly FinalOn, IReadOnlyList<PublishedCell> Cells, long Total,
    string? Epsilon, long? Threshold)
{
    public bool IsFinal => State == PeriodState.Final;

    /// <summary>The state as the JSON and CSV name it: final, releasing or pending.</summary>
    public string StateName => State switch { PeriodState.Final => "final", PeriodState.Releasing => "releasing", _ => "pending" };

    /// <summary>The merged "other (withheld)" row, if it was published.</summary>
    public PublishedCell? WithheldRow => Cells.FirstOrDefault(c => c.Withheld);

    /// <summary>The published count of one value, or null when it is not published (withheld, or the period is pending).</summary>
    public long? CountOf(string value) => Cells.FirstOrDefault(c => !c.Withheld && c.Value == value)?.Count;
}
