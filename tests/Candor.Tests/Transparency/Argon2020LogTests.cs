using System.Text.Json;
using Candor.Transparency;

namespace Candor.Tests.Transparency;

/// <summary>
/// A real Certificate Transparency log (Google's Argon 2020): the inclusion proof of entry 10000 and the
/// consistency proof from size 3654490 verify against its signed tree head, and fail once tampered with.
/// </summary>
public class Argon2020LogTests
{
    // SOURCE.txt in the vector folder: the root hash of the log at this earlier size.
    private const ulong OldSize = 3654490;
    private static readonly byte[] OldRoot = Convert.FromBase64String("AuIZ5V6sDUj1vn3Y1K85oOaQ7y+FJJKtyRTl1edIKBQ=");

    [Fact]
    public void Entry_10000_is_included_in_the_signed_tree_head()
    {
        var (size, root) = TreeHead();
        var proof = Json("proof.json");

        var ok = MerkleProof.VerifyInclusion(proof.GetProperty("leaf_index").GetUInt64(), size, LeafHash(), Hashes(proof, "audit_path"), root, out var reason);

        Assert.True(ok, reason);
    }

    [Fact]
    public void A_different_entry_is_not_included_at_index_10000()
    {
        var (size, root) = TreeHead();
        var proof = Json("proof.json");
        var forged = LeafHash();
        forged[0] ^= 1;

        Assert.False(MerkleProof.VerifyInclusion(10000, size, forged, Hashes(proof, "audit_path"), root, out _));
        Assert.False(MerkleProof.VerifyInclusion(10001, size, LeafHash(), Hashes(proof, "audit_path"), root, out _));
    }

    [Fact]
    public void The_older_tree_head_is_consistent_with_the_signed_one()
    {
        var (size, root) = TreeHead();

        var ok = MerkleProof.VerifyConsistency(OldSize, size, OldRoot, root, Hashes(Json("consistency.json"), "consistency"), out var reason);

        Assert.True(ok, reason);
    }

    [Fact]
    public void A_rewritten_older_tree_head_is_caught()
    {
        var (size, root) = TreeHead();
        var rewritten = (byte[])OldRoot.Clone();
        rewritten[31] ^= 0x80;

        Assert.False(MerkleProof.VerifyConsistency(OldSize, size, rewritten, root, Hashes(Json("consistency.json"), "consistency"), out _));
        Assert.False(MerkleProof.VerifyConsistency(OldSize + 1, size, OldRoot, root, Hashes(Json("consistency.json"), "consistency"), out _));
    }

    private static (ulong Size, byte[] Root) TreeHead()
    {
        var sth = Json("sth.json");
        return (sth.GetProperty("tree_size").GetUInt64(), Convert.FromBase64String(sth.GetProperty("sha256_root_hash").GetString()!));
    }

    // The leaf hash of an RFC 6962 log covers the MerkleTreeLeaf structure, which is what leaf_input holds.
    private static byte[] LeafHash() =>
        MerkleHash.Leaf(Convert.FromBase64String(Json("entries.json").GetProperty("entries")[0].GetProperty("leaf_input").GetString()!));

    private static byte[][] Hashes(JsonElement e, string name) =>
        e.GetProperty(name).EnumerateArray().Select(h => Convert.FromBase64String(h.GetString()!)).ToArray();

    private static JsonElement Json(string file) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(SharedVectors.Folder("ct-argon2020"), file))).RootElement;
}
