namespace Candor.Tests.Infrastructure;

/// <summary>
/// The permutation step the at-rest and public-log attack tests share: under the null hypothesis (where a
/// report lands does not depend on which installation sent it, given its metric) the installation labels
/// of one metric's reports are exchangeable, so each permutation shuffles them within every metric
/// independently. Counts the permutations whose statistic is at least as extreme as the observed one.
/// </summary>
internal static class WithinMetricPermutations
{
    /// <param name="data">data[installation][metric].</param>
    /// <param name="asExtreme">Whether a shuffled table's statistic is as extreme as the observed one.</param>
    public static int CountAsExtreme<T>(T[][] data, int permutations, int seed, Func<T[][], bool> asExtreme)
    {
        int n = data.Length, m = data[0].Length;
        var random = new Random(seed);
        var shuffled = new T[n][];
        for (int i = 0; i < n; i++)
            shuffled[i] = new T[m];
        var labels = Enumerable.Range(0, n).ToArray();
        int count = 0;
        for (int p = 0; p < permutations; p++)
        {
            for (int metric = 0; metric < m; metric++)
            {
                random.Shuffle(labels);
                for (int i = 0; i < n; i++)
                    shuffled[i][metric] = data[labels[i]][metric];
            }
            if (asExtreme(shuffled))
                count++;
        }
        return count;
    }
}
