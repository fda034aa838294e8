using Candor.Tests.Infrastructure;

namespace Candor.Tests.Privacy.AtRest;

/// <summary>
/// The statistical test behind the planted-installations specifications.
///
/// Data: N planted installations, each with one cell (a rare value no one else sends) in each of M
/// metrics, and the position of every planted cell in one view of the storage (row number of an
/// unordered SELECT, ctid order, pg_dump order, byte offset in the SQLite file, xmin).
///
/// Statistic: S = sum over installations of the sum over pairs of its cells of |position difference|.
/// An attacker who reads an installation's cells as a block sees a small S.
///
/// Null hypothesis (random placement): given the metric, a cell's position does not depend on which
/// installation sent it. Under it, the installation labels of the cells of one metric are
/// exchangeable, so S is compared with its distribution over 999 permutations that shuffle the labels
/// within every metric independently. p = (1 + #{S_perm &lt;= S_obs}) / 1000 (ties count against the
/// store). The storage reveals installations when p &lt; <see cref="Alpha"/> = 0.01.
///
/// Populations and permutations use fixed seeds, so a run is reproducible: on a store in key order the
/// positions depend only on the values, and the values were dealt to installations at random.
/// </summary>
internal static class PlacementTest
{
    public const double Alpha = 0.01;
    public const int Permutations = 999;

    /// <param name="positions">positions[installation][metric]: the position of that installation's cell of that metric.</param>
    public static double PValue(double[][] positions, int seed = 12)
    {
        double observed = Statistic(positions);
        int asExtreme = WithinMetricPermutations.CountAsExtreme(positions, Permutations, seed, shuffled => Statistic(shuffled) <= observed);
        return (1.0 + asExtreme) / (Permutations + 1.0);
    }

    private static double Statistic(double[][] positions)
    {
        double s = 0;
        foreach (var cells in positions)
            for (int a = 0; a < cells.Length; a++)
                for (int b = a + 1; b < cells.Length; b++)
                    s += Math.Abs(cells[a] - cells[b]);
        return s;
    }
}
