namespace Candor.Transparency;

/// <summary>
/// RFC 9162 section 2.1.3 and 2.1.4 proof generation (PATH and SUBPROOF) over any source of subtree
/// hashes: the in-memory <see cref="MerkleTree"/> and the collector's stored tiles walk the same splits
/// and differ only in how they get the hash of D[start:start+count].
/// </summary>
internal static class MerklePaths
{
    /// <summary>PATH(index, D[0:size]), given the hash of any subtree (start, count).</summary>
    public static List<byte[]> Inclusion(long index, long size, Func<long, long, byte[]> subtree)
    {
        if (index < 0 || index >= size)
            throw new ArgumentOutOfRangeException(nameof(index), $"Leaf {index} is not in a tree of {size} leaves.");
        var proof = new List<byte[]>();
        Path(index, 0, size, subtree, proof);
        return proof;
    }

    /// <summary>PROOF(size1, D[0:size2]), given the hash of any subtree (start, count).</summary>
    public static List<byte[]> Consistency(long size1, long size2, Func<long, long, byte[]> subtree)
    {
        // A proof from the empty tree would prove nothing (every tree extends it), and verifiers reject it.
        if (size1 <= 0 || size1 > size2)
            throw new ArgumentOutOfRangeException(nameof(size1), $"A consistency proof needs 0 < size1 <= size2; got {size1} and {size2}.");
        var proof = new List<byte[]>();
        if (size1 < size2)
            SubProof(size1, 0, size2, true, subtree, proof);
        return proof;
    }

    /// <summary>The largest power of two strictly less than <paramref name="n"/> (n &gt; 1): where RFC 9162 splits a tree.</summary>
    public static long LargestPowerOfTwoBelow(long n) => 1L << (int)(63 - long.LeadingZeroCount(n - 1));

    private static void Path(long index, long start, long count, Func<long, long, byte[]> subtree, List<byte[]> proof)
    {
        if (count == 1)
            return;
        var k = LargestPowerOfTwoBelow(count);
        if (index < k)
        {
            Path(index, start, k, subtree, proof);
            proof.Add(subtree(start + k, count - k));
        }
        else
        {
            Path(index - k, start + k, count - k, subtree, proof);
            proof.Add(subtree(start, k));
        }
    }

    private static void SubProof(long m, long start, long count, bool completeSubtree, Func<long, long, byte[]> subtree, List<byte[]> proof)
    {
        if (m == count)
        {
            if (!completeSubtree)
                proof.Add(subtree(start, count));
            return;
        }
        var k = LargestPowerOfTwoBelow(count);
        if (m <= k)
        {
            SubProof(m, start, k, completeSubtree, subtree, proof);
            proof.Add(subtree(start + k, count - k));
        }
        else
        {
            SubProof(m - k, start + k, count - k, false, subtree, proof);
            proof.Add(subtree(start, k));
        }
    }
}
