using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Candor.Client.LocalStore;
using Candor.Client.Reporting;
using Candor.Registry;
using Candor.Transparency;

namespace Candor.Benchmarks;

/// <summary>
/// The client's costs of the transparency log: sealing one week of one installation's reports into a
/// batch with and without commitments (the batch is read back with the collector's reader once more,
/// and each report gets an HMAC nonce and a SHA-256 commitment), and checking one receipt's inclusion
/// proof and one consistency proof, real ones, in a log of about a million leaves (about 20 hashes each;
/// the work grows with log2 of the size, so 27 hashes at 100 million).
/// </summary>
[MemoryDiagnoser]
public class ReceiptBenchmarks
{
    private MetricRegistry _registry = null!;
    private List<Observation> _week = null!;
    private readonly DateOnly _today = new(2026, 11, 23);
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);
    private const long Size1 = 1_000_003, Size2 = 1_060_000, Leaf = 734_567;
    private byte[] _leaf = null!, _root1 = null!, _root2 = null!;
    private IReadOnlyList<byte[]> _inclusion = null!, _consistency = null!;

    [GlobalSetup]
    public void Setup()
    {
        _registry = RegistryParser.ParseFile(Path.Combine(AppContext.BaseDirectory, "registries", "desktop-editor.yaml"));
        _week =
        [
            new("app.launches", "2026-W47", "", 12),
            new("system.os", "2026-W47", "linux", 3),
            new("feature.spellcheck", "2026-W47", "", 1),
            new("install.age_days", "2026-W47", "", 120),
            new("candor.active", "2026-11-18", "", 1),
            new("candor.active", "2026-11-19", "", 1),
        ];
        _leaf = new Candor.Transparency.LogEntry(LogEntryKind.Report, RandomNumberGenerator.GetBytes(32)).LeafHash();
        var rebuilt = new MerkleTree();
        for (long i = 0; i < Size2; i++)
            rebuilt.AppendLeafHash(i == Leaf ? _leaf : RandomNumberGenerator.GetBytes(32));
        _root1 = rebuilt.RootHash(Size1);
        _root2 = rebuilt.RootHash(Size2);
        _inclusion = rebuilt.InclusionProof(Leaf, Size2);
        _consistency = rebuilt.ConsistencyProof(Size1, Size2);
        if (!MerkleProof.VerifyInclusion(Leaf, Size2, _leaf, _inclusion, _root2, out var why) || !MerkleProof.VerifyConsistency(Size1, Size2, _root1, _root2, _consistency, out why))
            throw new InvalidOperationException("The benchmark's proofs do not verify: " + why);
    }

    private ReportBuilder Builder(bool commitments) => new(_registry, _ => true, 90, (_, _) => new Random(1),
        commitments ? (metric, period) => HMACSHA256.HashData(_secret, System.Text.Encoding.UTF8.GetBytes(metric + "\0" + period)) : null);

    [Benchmark(Baseline = true)]
    public int SealWeekWithoutCommitments() => Builder(false).Build(_week, _today).Batches[0].Body.Length;

    [Benchmark]
    public int SealWeekWithCommitments() => Builder(true).Build(_week, _today).Batches[0].Body.Length;

    [Benchmark]
    public bool VerifyInclusionProof() => MerkleProof.VerifyInclusion(Leaf, Size2, _leaf, _inclusion, _root2, out _);

    [Benchmark]
    public bool VerifyConsistencyProof() => MerkleProof.VerifyConsistency(Size1, Size2, _root1, _root2, _consistency, out _);
}
