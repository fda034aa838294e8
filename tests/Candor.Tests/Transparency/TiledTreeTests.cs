using Candor.Collector.Transparency;
using Candor.Transparency;

namespace Candor.Tests.Transparency;

/// <summary>
/// The stored, tiled tree computes exactly what the in-memory reference (<see cref="MerkleTree"/>, itself
/// checked on the transparency-dev vectors) computes: roots, inclusion and consistency proofs, at sizes
/// that straddle tile edges on every level, appended in epochs of awkward sizes.
/// </summary>
public sealed class TiledTreeTests
{
    [Fact]
    public void Tiles_appended_in_uneven_epochs_give_the_reference_roots_and_proofs()
    {
        var random = new Random(17);
        var store = new MemoryLog();
        var reference = new MerkleTree();
        var sizes = new List<long>();
        foreach (var epoch in new[] { 1, 2, 253, 1, 255, 256, 257, 3, 512, 1000, 7 })
        {
            var entries = Enumerable.Range(0, epoch).Select(_ => Entry(random)).ToList();
            store.Apply(new TiledTree(store).Append(store.TreeSize, entries));
            foreach (var e in entries)
                reference.AppendEntry(e);
            sizes.Add(store.TreeSize);

            var tree = new TiledTree(store);
            Assert.Equal(reference.RootHash(store.TreeSize), tree.RootHash(store.TreeSize));
            foreach (var index in new[] { 0, store.TreeSize - 1, random.NextInt64(store.TreeSize), Math.Min(255, store.TreeSize - 1) })
                Assert.Equal(reference.InclusionProof(index, store.TreeSize), tree.InclusionProof(index, store.TreeSize));
            foreach (var earlier in sizes)
            {
                Assert.Equal(reference.ConsistencyProof(earlier, store.TreeSize), tree.ConsistencyProof(earlier, store.TreeSize));
                // Proofs against an older tree size stay computable from tiles that have grown since.
                Assert.Equal(reference.RootHash(earlier), tree.RootHash(earlier));
            }
        }
        Assert.Equal(2547, store.TreeSize);
    }

    [Fact]
    public void A_tree_of_two_full_tile_levels_and_more_matches_the_reference()
    {
        // 65,536 leaves fill a level-1 tile, so its root is the first hash of tile level 2.
        var random = new Random(18);
        var store = new MemoryLog();
        var reference = new MerkleTree();
        foreach (var epoch in new[] { 65_535, 2, 300 })
        {
            var entries = Enumerable.Range(0, epoch).Select(_ => Entry(random)).ToList();
            store.Apply(new TiledTree(store).Append(store.TreeSize, entries));
            foreach (var e in entries)
                reference.AppendEntry(e);
        }
        Assert.True(store.Tiles.ContainsKey((2, 0)));
        var tree = new TiledTree(store);
        Assert.Equal(reference.RootHash(65_837), tree.RootHash(65_837));
        Assert.Equal(reference.InclusionProof(40_000, 65_837), tree.InclusionProof(40_000, 65_837));
        Assert.Equal(reference.ConsistencyProof(65_535, 65_837), tree.ConsistencyProof(65_535, 65_837));
    }

    [Fact]
    public void Appending_to_a_log_whose_right_edge_tile_is_missing_is_refused()
    {
        var store = new MemoryLog();
        store.Apply(new TiledTree(store).Append(0, [Entry(new Random(1))]));
        store.Tiles.Remove((0, 0));
        var e = Assert.Throws<InvalidOperationException>(() => new TiledTree(store).Append(1, [Entry(new Random(2))]));
        Assert.Contains("damaged", e.Message);
    }

    private static byte[] Entry(Random random)
    {
        var commitment = new byte[32];
        random.NextBytes(commitment);
        return new LogEntry(LogEntryKind.Report, commitment).ToBytes();
    }

    /// <summary>An in-memory stand-in for the stored tables, to compare the arithmetic alone.</summary>
    private sealed class MemoryLog : ILogReader
    {
        public Dictionary<(int, long), byte[]> Tiles { get; } = [];
        private readonly Dictionary<long, byte[]> _bundles = [];

        public long TreeSize { get; private set; }

        public void Apply(LogAppend append)
        {
            foreach (var (level, index, hashes) in append.Tiles)
                Tiles[(level, index)] = hashes;
            foreach (var (index, entries) in append.Bundles)
                _bundles[index] = entries;
            TreeSize = append.NewSize;
        }

        public byte[]? ReadTile(int level, long index) => Tiles.GetValueOrDefault((level, index));
        public byte[]? ReadBundle(long index) => _bundles.GetValueOrDefault(index);
        public long? LeafIndexOf(byte[] entry) => null;
        public bool IsPending(byte[] entry) => false;
        public long CountPending() => 0;
        public string? ReadCheckpoint(long? treeSize) => null;
    }
}
