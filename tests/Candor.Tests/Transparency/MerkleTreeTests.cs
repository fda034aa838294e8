using Candor.Transparency;

namespace Candor.Tests.Transparency;

/// <summary>The proofs this tree generates are the ones its verifier (checked against public vectors) accepts.</summary>
public class MerkleTreeTests
{
    [Fact]
    public void Every_generated_inclusion_proof_verifies_and_a_wrong_leaf_does_not()
    {
        var tree = Tree(33);
        for (long size = 1; size <= 33; size++)
        {
            var root = tree.RootHash(size);
            for (long i = 0; i < size; i++)
            {
                var proof = tree.InclusionProof(i, size);
                Assert.True(MerkleProof.VerifyInclusion((ulong)i, (ulong)size, MerkleHash.Leaf([(byte)i]), proof, root, out var reason), $"{i}/{size}: {reason}");
                Assert.False(MerkleProof.VerifyInclusion((ulong)i, (ulong)size, MerkleHash.Leaf([(byte)(i + 1)]), proof, root, out _));
            }
        }
    }

    [Fact]
    public void Every_generated_consistency_proof_verifies_and_a_forked_history_does_not()
    {
        var tree = Tree(33);
        var fork = Tree(33, changedLeaf: 5);
        for (long size2 = 1; size2 <= 33; size2++)
            for (long size1 = 1; size1 <= size2; size1++)
            {
                var proof = tree.ConsistencyProof(size1, size2);
                Assert.True(MerkleProof.VerifyConsistency((ulong)size1, (ulong)size2, tree.RootHash(size1), tree.RootHash(size2), proof, out var reason), $"{size1}->{size2}: {reason}");
                if (size1 > 5)
                    Assert.False(MerkleProof.VerifyConsistency((ulong)size1, (ulong)size2, fork.RootHash(size1), tree.RootHash(size2), proof, out _));
            }
    }

    [Fact]
    public void The_empty_tree_has_the_hash_of_nothing_and_one_leaf_is_its_own_root()
    {
        var tree = Tree(1);

        Assert.Equal(Convert.FromHexString("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), tree.RootHash(0));
        Assert.Equal(MerkleHash.Leaf([0]), tree.RootHash(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.RootHash(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.ConsistencyProof(0, 1));
    }

    private static MerkleTree Tree(int leaves, int changedLeaf = -1)
    {
        var tree = new MerkleTree();
        for (var i = 0; i < leaves; i++)
            tree.AppendEntry([(byte)(i == changedLeaf ? 200 : i)]);
        return tree;
    }
}
