namespace Candor.Collector.Publishing;

/// <summary>
/// How counts are protected before anyone sees them (privacy invariant 6). Every published figure
/// carries the rule that produced it.
/// </summary>
/// <param name="K">No published count comes from fewer than K reports.</param>
/// <param name="Rounding">Published counts are floored to a multiple of this (Mailpile floored to 10).</param>
public sealed record ProtectionRule(int K, int Rounding)
{
    public static readonly ProtectionRule Default = new(10, 10);

    /// <summary>The published form of a count that passed suppression.</summary>
    public long Floor(long count) => count / Rounding * Rounding;

    public string Describe() =>
        $"Counts below {K} are never published; within each metric and period, further cells are withheld " +
        $"whenever the withheld ones would add up to between 1 and {K - 1}; published counts are floored to a multiple of {Rounding}; " +
        "totals, shares and multi-period sums are computed from published counts only.";
}
