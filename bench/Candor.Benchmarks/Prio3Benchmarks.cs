using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Candor.Vdaf;

namespace Candor.Benchmarks;

/// <summary>
/// Prio3 costs per report: what a client pays to shard, and what the two aggregators together pay to
/// prepare (both prep_init calls, prep_shares_to_prep, both prep_next calls, and aggregation). The goal is
/// 2,000 Histogram(16) reports per second aggregated on a 2-core machine, i.e. at most 1 ms of
/// "prepare" per report on one core.
/// </summary>
[MemoryDiagnoser]
public class Prio3Benchmarks
{
    private readonly Prio3<Field64, bool, ulong> _count = Prio3.Count();
    private readonly Prio3<Field128, int, UInt128[]> _histogram = Prio3.Histogram(16, 4);
    private readonly byte[] _verifyKey = RandomNumberGenerator.GetBytes(16);
    private readonly byte[] _nonce = RandomNumberGenerator.GetBytes(16);
    private Prio3Shards _countShards = null!;
    private Prio3Shards _histogramShards = null!;
    private Field64[] _countAggregate = null!;
    private Field128[] _histogramAggregate = null!;

    [GlobalSetup]
    public void Setup()
    {
        _countShards = _count.Shard(true, _nonce);
        _histogramShards = _histogram.Shard(11, _nonce);
        _countAggregate = _count.NewAggregateShare();
        _histogramAggregate = _histogram.NewAggregateShare();
        Prepare(_count, _countShards, _countAggregate);
        Prepare(_histogram, _histogramShards, _histogramAggregate);
    }

    [Benchmark(Description = "client: shard Count")]
    public object ShardCount() => _count.Shard(true, _nonce); // object: Prio3Shards is internal to Candor.Core

    [Benchmark(Description = "client: shard Histogram(16)")]
    public object ShardHistogram() => _histogram.Shard(11, _nonce);

    [Benchmark(Description = "both aggregators: prepare and aggregate Count")]
    public void PrepareCount() => Prepare(_count, _countShards, _countAggregate);

    [Benchmark(Description = "both aggregators: prepare and aggregate Histogram(16)")]
    public void PrepareHistogram() => Prepare(_histogram, _histogramShards, _histogramAggregate);

    private void Prepare<T, TM, TR>(Prio3<T, TM, TR> vdaf, Prio3Shards shards, T[] aggregate) where T : unmanaged, IFftField<T>
    {
        var (leaderState, leaderShare) = vdaf.PrepareInit(_verifyKey, 0, _nonce, shards.PublicShare, shards.InputShares[0]);
        var (helperState, helperShare) = vdaf.PrepareInit(_verifyKey, 1, _nonce, shards.PublicShare, shards.InputShares[1]);
        var message = vdaf.PrepareSharesToPrepare([leaderShare, helperShare]);
        vdaf.Accumulate(aggregate, vdaf.PrepareNext(leaderState, message));
        vdaf.Accumulate(aggregate, vdaf.PrepareNext(helperState, message));
    }
}
