using Candor.Collector.Publishing;

namespace Candor.Tests.Publishing;

/// <summary>
/// The noise sampler against its exact distribution. The sampler draws from a cryptographic RNG, so no
/// seed makes a run repeatable: each test uses a chi-square test whose false-failure probability is
/// below 1e-6 per run (critical value at p = 1e-6), so a failure means the distribution is wrong, not bad luck.
/// </summary>
public sealed class DiscreteLaplaceTests
{
    private const int Draws = 100_000;

    /// <summary>Upper 1e-6 quantile of chi-square with <paramref name="df"/> degrees of freedom (Wilson-Hilferty; z = 4.7534).</summary>
    private static double Critical(int df)
    {
        double a = 2.0 / (9 * df);
        return df * Math.Pow(1 - a + 4.7534 * Math.Sqrt(a), 3);
    }

    [Theory]
    [InlineData(1, 1)]   // the default epsilon
    [InlineData(1, 6)]   // a six-bucket histogram's share
    [InlineData(2, 1)]
    [InlineData(1, 2)]
    public void Draws_follow_the_exact_discrete_Laplace_distribution(long s, long t)
    {
        var sampler = new DiscreteLaplace(s, t);
        double epsilon = (double)s / t;
        var counts = new Dictionary<long, int>();
        for (int i = 0; i < Draws; i++)
        {
            long z = sampler.Sample();
            counts[z] = counts.GetValueOrDefault(z) + 1;
        }
        // Bins: every z with an expected count of at least 20, and the two tails beyond them.
        long edge = 0;
        while (Draws * DiscreteLaplace.Pmf(epsilon, edge + 1) >= 20) edge++;
        double chi = 0;
        int bins = 0;
        for (long z = -edge; z <= edge; z++)
        {
            double expected = Draws * DiscreteLaplace.Pmf(epsilon, z);
            chi += Math.Pow(counts.GetValueOrDefault(z) - expected, 2) / expected;
            bins++;
        }
        double tail = Draws * DiscreteLaplace.UpperTail(epsilon, edge + 1);
        chi += Math.Pow(counts.Where(c => c.Key > edge).Sum(c => c.Value) - tail, 2) / tail;
        chi += Math.Pow(counts.Where(c => c.Key < -edge).Sum(c => c.Value) - tail, 2) / tail;
        bins += 2;
        Assert.True(chi < Critical(bins - 1), $"chi-square {chi:F1} over {bins} bins exceeds {Critical(bins - 1):F1} (p < 1e-6)");
        // A sampler stuck at a fixed offset or a halved scale fails the test above; check a moment too.
        double mean = counts.Sum(c => (double)c.Key * c.Value) / Draws;
        Assert.True(Math.Abs(mean) < 0.1 / epsilon + 0.05, $"mean {mean}");
    }

    [Fact]
    public void The_test_would_notice_a_sampler_with_the_wrong_scale()
    {
        // Draws for epsilon = 1/2 judged against epsilon = 1: the statistic must be far above the critical value.
        var wrong = new DiscreteLaplace(1, 2);
        var counts = new Dictionary<long, int>();
        for (int i = 0; i < Draws; i++) { long z = wrong.Sample(); counts[z] = counts.GetValueOrDefault(z) + 1; }
        double chi = 0;
        for (long z = -8; z <= 8; z++)
        {
            double expected = Draws * DiscreteLaplace.Pmf(1, z);
            chi += Math.Pow(counts.GetValueOrDefault(z) - expected, 2) / expected;
        }
        Assert.True(chi > 10 * Critical(16), $"chi-square {chi:F1}");
    }

    [Fact]
    public void Settings_reach_the_sampler_as_exact_fractions()
    {
        Assert.Equal(new Rational(1, 2), Rational.From(0.5m));
        Assert.Equal(new Rational(1, 4), Rational.From(0.25m));
        Assert.Equal(new Rational(1, 1), Rational.From(1m));
        Assert.Equal(new Rational(1, 6), Rational.From(1m).DividedBy(6));
        Assert.Equal("1/6", Rational.From(1m).DividedBy(6).ToString());
        Assert.Equal("0.5", Rational.From(0.5m).ToString());
    }

    [Theory]
    [InlineData(1, 15)]
    [InlineData(2, 20)]
    [InlineData(4, 24)]
    [InlineData(19, 38)]
    public void The_withheld_row_needs_a_higher_threshold_the_more_values_it_merges(int merged, long expected)
    {
        long threshold = Publisher.WithheldThresholdFor(new Rational(1, 1), 1e-6, merged);
        Assert.Equal(expected, threshold);
        // Checked against the exact distribution of 1 + the sum of the noises (by convolution): at most delta.
        var single = Enumerable.Range(-60, 121).ToDictionary(z => (long)z, z => DiscreteLaplace.Pmf(1, z));
        var sum = new Dictionary<long, double> { [1] = 1.0 };
        for (int i = 0; i < merged; i++)
            sum = sum.SelectMany(a => single.Select(b => (Z: a.Key + b.Key, P: a.Value * b.Value)))
                .GroupBy(x => x.Z).ToDictionary(g => g.Key, g => g.Sum(x => x.P));
        Assert.True(sum.Where(x => x.Key >= threshold).Sum(x => x.Value) <= 1e-6);
    }

    [Theory]
    [InlineData(1, 1, 15)]
    [InlineData(1, 6, 81)]
    public void The_threshold_makes_a_single_installation_visible_with_probability_at_most_delta(long s, long t, long expected)
    {
        var eps = new Rational(s, t);
        long threshold = Publisher.ThresholdFor(eps, 1e-6);
        Assert.Equal(expected, threshold);
        // One installation (count 1) passes when the noise is at least threshold - 1; one step lower would exceed delta.
        Assert.True(DiscreteLaplace.UpperTail(eps.ToDouble(), threshold - 1) <= 1e-6);
        Assert.True(DiscreteLaplace.UpperTail(eps.ToDouble(), threshold - 2) > 1e-6);
    }
}
