namespace Candor.Transparency;

/// <summary>
/// An append-only list of leaf hashes with the RFC 9162 section 2.1 tree head, inclusion proof and
/// consistency proof for any earlier size. Kept in memory and recomputed on demand: this is the
/// reference the storage-backed log is tested against, not the form it takes at 100 million leaves.
/// </summary>
internal sealed class MerkleTree
{
    private readonly List<byte[]> _leaves = [];

    public long Size => _leaves.Count;

    /// <summary>Appends the hash of an entry (already computed with <see cref="MerkleHash.Leaf"/>).</summary>
    public void AppendLeafHash(ReadOnlySpan<byte> leafHash)
    {
        if (leafHash.Length != MerkleHash.Size)
            throw new ArgumentException($"A leaf hash is {MerkleHash.Size} bytes, not {leafHash.Length}.", nameof(leafHash));
        _leaves.Add(leafHash.ToArray());
    }

    public void AppendEntry(ReadOnlySpan<byte> entry) => _leaves.Add(MerkleHash.Leaf(entry));

    /// <summary>MTH(D[0:size]).</summary>
    public byte[] RootHash(long size)
    {
        CheckSize(size);
        return size == 0 ? MerkleHash.Empty() : Subtree(0, size);
    }

    /// <summary>PATH(index, D[0:size]): the audit path from leaf <paramref name="index"/> to the root of the tree of <paramref name="size"/> leaves.</summary>
    public IReadOnlyList<byte[]> InclusionProof(long index, long size)
    {
        CheckSize(size);
        return MerklePaths.Inclusion(index, size, Subtree);
    }

    /// <summary>PROOF(size1, D[0:size2]): proves the tree of <paramref name="size1"/> leaves is a prefix of the tree of <paramref name="size2"/>.</summary>
    public IReadOnlyList<byte[]> ConsistencyProof(long size1, long size2)
    {
        CheckSize(size2);
        return MerklePaths.Consistency(size1, size2, Subtree);
    }

    private void CheckSize(long size)
    {
        if (size < 0 || size > _leaves.Count)
            throw new ArgumentOutOfRangeException(nameof(size), $"The tree has {_leaves.Count} leaves; asked for {size}.");
    }

    private byte[] Subtree(long start, long count)
    {
        if (count == 1)
            return _leaves[(int)start];
        var k = MerklePaths.LargestPowerOfTwoBelow(count);
        return MerkleHash.Node(Subtree(start, k), Subtree(start + k, count - k));
    }

}
