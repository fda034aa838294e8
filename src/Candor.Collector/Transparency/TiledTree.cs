using Candor.Transparency;

namespace Candor.Collector.Transparency;

/// <summary>
/// RFC 9162 tree heads and proofs computed from stored tiles, as C2SP tlog-tiles lays them out: tile
/// level L holds the hashes of the complete subtrees of height 8·L (level 0: the leaf hashes), 256 to
/// a tile, so tile (L, t) holds the nodes 256·t to 256·t+255 of height 8·L. A node of any height h
/// is read from one tile of level h/8 and rehashed over at most h mod 8 levels, so an inclusion or
/// consistency proof at 100 million leaves reads O(log n) tiles (at most two per level, four levels)
/// and hashes a few thousand times at most. Storage: 32 bytes per leaf plus 1/256 of that per level above.
/// </summary>
public sealed class TiledTree(ILogReader reader)
{
    public const int TileHeight = 8;
    public const int TileWidth = 1 << TileHeight;
    public const int EntrySize = LogEntry.Size;

    private readonly Dictionary<(int, long), byte[]> _tiles = [];

    /// <summary>MTH(D[0:size]).</summary>
    public byte[] RootHash(long size) => size == 0 ? MerkleHash.Empty() : Subtree(0, size);

    public List<byte[]> InclusionProof(long index, long size)
    {
        return MerklePaths.Inclusion(index, size, Subtree);
    }

    public List<byte[]> ConsistencyProof(long size1, long size2)
    {
        return MerklePaths.Consistency(size1, size2, Subtree);
    }

    /// <summary>The hash of the complete subtree of height <paramref name="height"/> whose leftmost leaf is index·2^height.</summary>
    public byte[] Node(int height, long index)
    {
        int level = height / TileHeight, up = height % TileHeight;
        long first = index << up;
        var tile = Tile(level, first / TileWidth);
        int offset = (int)(first % TileWidth), width = 1 << up;
        if (tile.Length < (offset + width) * MerkleHash.Size)
            throw new InvalidOperationException($"Tile {level}/{first / TileWidth} holds {tile.Length / MerkleHash.Size} hashes; node {height}/{index} needs {offset + width}: the stored log is incomplete.");
        return Reduce(tile.AsSpan(offset * MerkleHash.Size, width * MerkleHash.Size));
    }

    private byte[] Tile(int level, long index)
    {
        if (!_tiles.TryGetValue((level, index), out var tile))
            _tiles[(level, index)] = tile = reader.ReadTile(level, index) ?? [];
        return tile;
    }

    /// <summary>The root of a complete subtree given its bottom row of hashes (a power of two of them).</summary>
    public static byte[] Reduce(ReadOnlySpan<byte> row)
    {
        if (row.Length == MerkleHash.Size)
            return row.ToArray();
        var level = row.ToArray();
        for (int n = level.Length / MerkleHash.Size; n > 1; n /= 2)
            for (int i = 0; i < n / 2; i++)
                MerkleHash.Node(level.AsSpan(2 * i * MerkleHash.Size, MerkleHash.Size), level.AsSpan((2 * i + 1) * MerkleHash.Size, MerkleHash.Size))
                    .CopyTo(level, i * MerkleHash.Size);
        return level[..MerkleHash.Size];
    }

    private byte[] Subtree(long start, long count)
    {
        // Left parts in RFC 9162's split are aligned powers of two: one stored node each.
        if ((count & (count - 1)) == 0 && start % count == 0)
            return Node(63 - (int)long.LeadingZeroCount(count), start / count);
        var k = MerklePaths.LargestPowerOfTwoBelow(count);
        return MerkleHash.Node(Subtree(start, k), Subtree(start + k, count - k));
    }

    /// <summary>
    /// The tiles and entry bundles that change when <paramref name="entries"/> are appended to a log of
    /// <paramref name="size"/> leaves: the right-edge tile of each level grows (and is written whole
    /// again), and every tile that fills up adds its root to the level above.
    /// </summary>
    public LogAppend Append(long size, IReadOnlyList<byte[]> entries)
    {
        var tiles = new List<(int Level, long Index, byte[] Hashes)>();
        var bundles = new List<(long Index, byte[] Entries)>();

        // Entry bundles, 256 entries each, for mirrors rebuilding the tree (GET /v1/log/entries).
        var all = new List<byte[]>();
        long bundleStart = size / TileWidth * TileWidth;
        if (size % TileWidth != 0)
            all.AddRange(Split(reader.ReadBundle(size / TileWidth) ?? throw Missing("bundle", 0, size / TileWidth), EntrySize));
        all.AddRange(entries);
        for (int i = 0; i < all.Count; i += TileWidth)
            bundles.Add((bundleStart / TileWidth + i / TileWidth, all.Skip(i).Take(TileWidth).SelectMany(e => e).ToArray()));

        var hashes = entries.Select(e => MerkleHash.Leaf(e)).ToList();
        long start = size; // index, at this level, of the first new hash
        for (int level = 0; hashes.Count > 0; level++)
        {
            var row = new List<byte[]>();
            long rowStart = start / TileWidth * TileWidth;
            if (start % TileWidth != 0)
                row.AddRange(Split(Tile(level, start / TileWidth) is { Length: > 0 } t ? t : throw Missing("tile", level, start / TileWidth), MerkleHash.Size));
            row.AddRange(hashes);
            var above = new List<byte[]>();
            for (int i = 0; i < row.Count; i += TileWidth)
            {
                var tile = row.Skip(i).Take(TileWidth).SelectMany(h => h).ToArray();
                tiles.Add((level, rowStart / TileWidth + i / TileWidth, tile));
                _tiles[(level, rowStart / TileWidth + i / TileWidth)] = tile;
                if (tile.Length == TileWidth * MerkleHash.Size)
                    above.Add(Reduce(tile));
            }
            hashes = above;
            start /= TileWidth;
        }
        return new LogAppend(size + entries.Count, tiles, bundles);
    }

    private static IEnumerable<byte[]> Split(byte[] bytes, int size)
    {
        for (int i = 0; i + size <= bytes.Length; i += size)
            yield return bytes[i..(i + size)];
    }

    private static InvalidOperationException Missing(string what, int level, long index) =>
        new($"The stored log has no {what} {level}/{index} although its size says it should: refusing to append to a damaged log.");
}

/// <summary>What an append writes: the new size, the tiles (level, index, hashes) and bundles (index, entries) to store whole.</summary>
public sealed record LogAppend(long NewSize, IReadOnlyList<(int Level, long Index, byte[] Hashes)> Tiles, IReadOnlyList<(long Index, byte[] Entries)> Bundles);
