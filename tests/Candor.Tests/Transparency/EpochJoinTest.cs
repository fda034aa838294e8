using Candor.Tests.Infrastructure;

namespace Candor.Tests.Transparency;

/// <summary>
/// The statistical test behind the epoch-join specifications.
///
/// Data: N planted installations, each with one report of a rare value (nobody else sends it) in each of M
/// metrics, and the epoch each of those reports' leaves landed in. The attacker is given each report's
/// metric and value (the strongest case: an observer who learned every report's content one by one) and the
/// public log (which epoch each leaf is in), and pairs reports that share an epoch.
///
/// Statistic: T = the number of same-installation pairs of rare reports (different metrics) that share an
/// epoch. Pair precision = T / C, C = every pair of rare reports of different metrics sharing an epoch.
/// Without the log the attacker can only pair at random: precision N·M(M-1)/2 / (pairs of different metrics)
/// = 1/N (0.0625 for 16 installations).
///
/// Null hypothesis (epochs say nothing about batches): given the metric, a report's epoch does not depend on
/// which installation sent it. The installation labels of one metric's reports are then exchangeable, so T is
/// compared with its distribution over 999 permutations of the labels within every metric. C does not change
/// under them, so the test is one of precision against the no-log baseline: p = (1 + #{T_perm &gt;= T_obs}) / 1000,
/// and the log groups batches when p &lt; <see cref="Alpha"/> = 0.01.
/// </summary>
internal static class EpochJoinTest
{
    public const double Alpha = 0.01;
    public const int Permutations = 999;

    /// <param name="epochs">epochs[installation][metric]: the epoch of that installation's rare report of that metric.</param>
    public static (double P, double Precision, double Baseline) Run(int[][] epochs, int seed = 23)
    {
        int n = epochs.Length, m = epochs[0].Length;
        int observed = Statistic(epochs);
        long coEpochPairs = 0;
        for (int a = 0; a < m; a++)
            for (int b = a + 1; b < m; b++)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                        if (epochs[i][a] == epochs[j][b])
                            coEpochPairs++;
        int asExtreme = WithinMetricPermutations.CountAsExtreme(epochs, Permutations, seed, shuffled => Statistic(shuffled) >= observed);
        double baseline = 1.0 / n;
        return ((1.0 + asExtreme) / (Permutations + 1.0), coEpochPairs == 0 ? 0 : (double)observed / coEpochPairs, baseline);
    }

    private static int Statistic(int[][] epochs)
    {
        int s = 0;
        foreach (var reports in epochs)
            for (int a = 0; a < reports.Length; a++)
                for (int b = a + 1; b < reports.Length; b++)
                    if (reports[a] == reports[b])
                        s++;
        return s;
    }
}
