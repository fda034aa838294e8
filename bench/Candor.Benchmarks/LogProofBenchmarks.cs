using BenchmarkDotNet.Attributes;
using Candor.Collector.Storage.Sqlite;
using Candor.Collector.Transparency;

namespace Candor.Benchmarks;

/// <summary>
/// Server time of a transparency log proof at 100 million leaves, as <c>GET /v1/log/inclusion</c> and
/// <c>/v1/log/consistency</c> compute it: one pooled SQLite read transaction, the tiles the proof needs,
/// the rehashing inside them. The log is made once by <c>fill-log</c> (bench/run-log-proofs.sh) into
/// CANDOR_BENCH_LOG; each invocation proves another leaf (or size), spread over the whole tree, so the
/// figures include reading cold tiles, not one cached path.
/// </summary>
[MemoryDiagnoser]
public class LogProofBenchmarks
{
    private SqliteReportStore _store = null!;
    private long _size;
    private readonly long[] _points = new long[1024];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var path = Environment.GetEnvironmentVariable("CANDOR_BENCH_LOG")
            ?? throw new InvalidOperationException("Set CANDOR_BENCH_LOG to a log made by `fill-log` (bench/run-log-proofs.sh does both).");
        _store = new SqliteReportStore(path);
        _size = _store.ReadLogAsync(r => r.TreeSize).GetAwaiter().GetResult();
        var random = new Random(9162);
        for (int i = 0; i < _points.Length; i++)
            _points[i] = random.NextInt64(1, _size);
    }

    [Benchmark]
    public int InclusionProof()
    {
        long leaf = _points[_next++ & 1023];
        return _store.ReadLogAsync(r => new TiledTree(r).InclusionProof(leaf, _size)).GetAwaiter().GetResult().Count;
    }

    [Benchmark]
    public int ConsistencyProof()
    {
        long from = _points[_next++ & 1023];
        return _store.ReadLogAsync(r => new TiledTree(r).ConsistencyProof(from, _size)).GetAwaiter().GetResult().Count;
    }

    [GlobalCleanup]
    public void Cleanup() => _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
