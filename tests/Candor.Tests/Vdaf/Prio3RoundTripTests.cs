using System.Security.Cryptography;
using Candor.Vdaf;

namespace Candor.Tests.Vdaf;

/// <summary>Fresh randomness, many honest reports, two and three aggregators: the result is the exact sum.</summary>
public sealed class Prio3RoundTripTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Honest_reports_unshard_to_the_exact_sum_for_every_type(int shares)
    {
        var random = new Random(28 + shares);
        var key = RandomNumberGenerator.GetBytes(16);

        var counts = Enumerable.Range(0, 40).Select(_ => random.Next(2) == 1).ToArray();
        Assert.Equal((ulong)counts.Count(c => c), Run(Prio3.Count(shares), key, counts).Result);

        var sums = Enumerable.Range(0, 40).Select(_ => (UInt128)(ulong)random.Next(1 << 16)).ToArray();
        Assert.Equal(sums.Aggregate(UInt128.Zero, (a, b) => a + b), Run(Prio3.Sum(16, shares), key, sums).Result);

        var buckets = Enumerable.Range(0, 40).Select(_ => random.Next(16)).ToArray();
        Assert.Equal(Enumerable.Range(0, 16).Select(b => (UInt128)buckets.Count(x => x == b)), Run(Prio3.Histogram(16, 4, shares), key, buckets).Result);

        var vectors = Enumerable.Range(0, 20).Select(_ => (IReadOnlyList<ulong>)Enumerable.Range(0, 5).Select(_ => (ulong)random.Next(256)).ToArray()).ToArray();
        Assert.Equal(Enumerable.Range(0, 5).Select(i => (UInt128)vectors.Sum(v => (long)v[i])), Run(Prio3.SumVec(5, 8, 7, shares), key, vectors).Result);

        var multiHot = Enumerable.Range(0, 20).Select(_ =>
        {
            var (first, second) = (random.Next(6), random.Next(6)); // one or two ones, at most 3 allowed
            return (IReadOnlyList<bool>)Enumerable.Range(0, 6).Select(i => i == first || i == second).ToArray();
        }).ToArray();
        Assert.Equal(Enumerable.Range(0, 6).Select(i => (UInt128)multiHot.Count(v => v[i])), Run(Prio3.MultiHotHistogram(6, 3, 3, shares), key, multiHot).Result);
    }

    [Fact]
    public void A_large_histogram_with_a_multi_level_wire_domain_round_trips()
    {
        // 300 buckets in chunks of 17: 18 gadget calls, so the wires are interpolated over 32 points.
        var vdaf = Prio3.Histogram(300, 17);
        var pair = Run(vdaf, RandomNumberGenerator.GetBytes(16), [0, 299, 150, 150]);
        Assert.Equal(2UL, (ulong)pair.Result[150]);
        Assert.Equal(4UL, (ulong)pair.Result.Aggregate(UInt128.Zero, (a, b) => a + b));
    }

    private static AggregatorPair<T, TM, TR> Run<T, TM, TR>(Prio3<T, TM, TR> vdaf, byte[] key, TM[] measurements) where T : unmanaged, IFftField<T>
    {
        var pair = new AggregatorPair<T, TM, TR>(vdaf, key);
        foreach (var m in measurements)
            pair.Prepare(AggregatorPair<T, TM, TR>.Shard(vdaf, m));
        Assert.Empty(pair.Rejections);
        Assert.Equal(measurements.Length, pair.Accepted);
        return pair;
    }
}
