namespace Candor.Collector.Transparency;

/// <summary>
/// Synchronous reads of the stored log inside one store transaction (or one read), for the tile
/// arithmetic in <see cref="TiledTree"/>: a proof at 100 million leaves reads a handful of tiles, so
/// a round trip per tile is cheaper than loading anything whole.
/// </summary>
public interface ILogReader
{
    /// <summary>Leaves in the log (the size of the latest checkpoint).</summary>
    long TreeSize { get; }

    /// <summary>The hashes of tile <paramref name="index"/> at tile level <paramref name="level"/> (up to 256 × 32 bytes), or null.</summary>
    byte[]? ReadTile(int level, long index);

    /// <summary>The entries of bundle <paramref name="index"/> (leaves 256·index onwards, 33 bytes each), or null.</summary>
    byte[]? ReadBundle(long index);

    /// <summary>The leaf index of an entry (kind || commitment), or null when it is not in the log.</summary>
    long? LeafIndexOf(byte[] entry);

    /// <summary>Whether an entry waits in the pending set for the next epoch.</summary>
    bool IsPending(byte[] entry);

    /// <summary>Entries waiting in the pending set for the next epoch (the sealer's backlog, for /metrics).</summary>
    long CountPending();

    /// <summary>The signed checkpoint of exactly this tree size, or the latest when null; null when none.</summary>
    string? ReadCheckpoint(long? treeSize);
}
