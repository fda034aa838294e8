namespace Candor.Transparency;

/// <summary>
/// Verification of RFC 9162 inclusion (section 2.1.3.2) and consistency (section 2.1.4.2) proofs.
/// Each check returns false with a one-line reason instead of throwing, because a failed proof is an
/// expected answer from a misbehaving log, not a bug in the caller.
/// </summary>
internal static class MerkleProof
{
    public static bool VerifyInclusion(ulong index, ulong size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof,
        ReadOnlySpan<byte> root, out string reason)
    {
        if (index >= size)
            return Fail($"leaf index {index} is not inside a tree of size {size}", out reason);
        // An empty leaf hash equal to an empty root would otherwise "prove" a one-leaf tree.
        if (leafHash.Length != MerkleHash.Size || root.Length != MerkleHash.Size)
            return Fail($"the leaf hash and root hash must be {MerkleHash.Size} bytes", out reason);

        ulong fn = index, sn = size - 1;
        byte[] r = leafHash.ToArray();
        foreach (var p in proof)
        {
            // A longer path than the tree is tall: padding that would otherwise let a forged
            // prefix of hashes be accepted for a smaller tree.
            if (sn == 0)
                return Fail("the proof has more hashes than the tree has levels", out reason);
            if ((fn & 1) == 1 || fn == sn)
            {
                r = MerkleHash.Node(p, r);
                if ((fn & 1) == 0)
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
            }
            else
            {
                r = MerkleHash.Node(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }

        if (sn != 0)
            return Fail("the proof has fewer hashes than the tree has levels", out reason);
        if (!r.AsSpan().SequenceEqual(root))
            return Fail("the proof does not lead to the root hash", out reason);
        reason = "";
        return true;
    }

    public static bool VerifyConsistency(ulong size1, ulong size2, ReadOnlySpan<byte> root1, ReadOnlySpan<byte> root2,
        IReadOnlyList<byte[]> proof, out string reason)
    {
        if (size1 > size2)
            return Fail($"size1 ({size1}) must not exceed size2 ({size2})", out reason);
        // Every tree extends the empty tree, so a "proof" from size 0 proves nothing; accepting one
        // would let a caller believe it had checked a log it never checked.
        if (size1 == 0)
            return Fail("a consistency proof from the empty tree proves nothing", out reason);
        if (size1 == size2)
        {
            if (proof.Count != 0)
                return Fail("equal sizes need an empty proof", out reason);
            if (!root1.SequenceEqual(root2))
                return Fail("equal sizes but different root hashes: the log forked", out reason);
            reason = "";
            return true;
        }
        if (proof.Count == 0)
            return Fail("the proof is empty", out reason);

        var path = new List<byte[]>(proof.Count + 1);
        if ((size1 & (size1 - 1)) == 0)
            path.Add(root1.ToArray());
        path.AddRange(proof);

        ulong fn = size1 - 1, sn = size2 - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }
        byte[] fr = path[0], sr = path[0];
        for (var i = 1; i < path.Count; i++)
        {
            var c = path[i];
            if (sn == 0)
                return Fail("the proof has more hashes than the trees have levels", out reason);
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleHash.Node(c, fr);
                sr = MerkleHash.Node(c, sr);
                if ((fn & 1) == 0)
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
            }
            else
            {
                sr = MerkleHash.Node(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }

        if (sn != 0)
            return Fail("the proof has fewer hashes than the trees have levels", out reason);
        if (!fr.AsSpan().SequenceEqual(root1))
            return Fail("the proof does not lead to the first root hash", out reason);
        if (!sr.AsSpan().SequenceEqual(root2))
            return Fail("the proof does not lead to the second root hash: the log was rewritten", out reason);
        reason = "";
        return true;
    }

    private static bool Fail(string why, out string reason)
    {
        reason = why;
        return false;
    }
}
