namespace Candor.Transparency;

/// <summary>
/// An append-only list of leaf hashes with the RFC 9162 section 2.1 tree head, inclusion proof and
/// consistency proof for any earlier size. Kept in memory and recomputed on demand: this is the
/// reference the storage-backed log is tested against, not the form it takes at 100 million leaves.
/// </summary>
public sealed class MerkleTree
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
        if (index < 0 || index >= size)
            throw new ArgumentOutOfRangeException(nameof(index), $"Leaf {index} is not in a tree of {size} leaves.");
        var proof = new List<byte[]>();
        Path(index, 0, size, proof);
        return proof;
    }

    /// <summary>PROOF(size1, D[0:size2]): proves the tree of <paramref name="size1"/> leaves is a prefix of the tree of <paramref name="size2"/>.</summary>
    public IReadOnlyList<byte[]> ConsistencyProof(long size1, long size2)
    {
        CheckSize(size2);
        // A proof from the empty tree would prove nothing (every tree extends it), and verifiers reject it.
        if (size1 <= 0 || size1 > size2)
            throw new ArgumentOutOfRangeException(nameof(size1), $"A consistency proof needs 0 < size1 <= size2; got {size1} and {size2}.");
        var proof = new List<byte[]>();
        if (size1 < size2)
            SubProof(size1, 0, size2, true, proof);
        return proof;
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
        var k = LargestPowerOfTwoBelow(count);
        return MerkleHash.Node(Subtree(start, k), Subtree(start + k, count - k));
    }

    private void Path(long index, long start, long count, List<byte[]> proof)
    {
        if (count == 1)
            return;
        var k = LargestPowerOfTwoBelow(count);
        if (index < k)
        {
            Path(index, start, k, proof);
            proof.Add(Subtree(start + k, count - k));
        }
        else
        {
            Path(index - k, start + k, count - k, proof);
            proof.Add(Subtree(start, k));
        }
    }

    private void SubProof(long m, long start, long count, bool completeSubtree, List<byte[]> proof)
    {
        if (m == count)
        {
            if (!completeSubtree)
                proof.Add(Subtree(start, count));
            return;
        }
        var k = LargestPowerOfTwoBelow(count);
        if (m <= k)
        {
            SubProof(m, start, k, completeSubtree, proof);
            proof.Add(Subtree(start + k, count - k));
        }
        else
        {
            SubProof(m - k, start + k, count - k, false, proof);
            proof.Add(Subtree(start, k));
        }
    }

    /// <summary>The largest power of two strictly less than <paramref name="n"/> (n &gt; 1).</summary>
    internal static long LargestPowerOfTwoBelow(long n) => 1L << (int)(63 - long.LeadingZeroCount(n - 1));
}
