using System.Security.Cryptography;

namespace Candor.Transparency;

/// <summary>
/// RFC 9162 section 2.1.1 hashing: SHA-256 with a one-byte prefix, 0x00 for leaves and 0x01 for
/// interior nodes. The prefixes are what stop a second-preimage attack in which an interior node
/// (the hash of two children) is passed off as a leaf.
/// </summary>
internal static class MerkleHash
{
    public const int Size = 32;

    /// <summary>The root of the empty tree: SHA-256 of nothing.</summary>
    public static byte[] Empty() => SHA256.HashData(ReadOnlySpan<byte>.Empty);

    public static byte[] Leaf(ReadOnlySpan<byte> entry)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData([0x00]);
        hash.AppendData(entry);
        return hash.GetHashAndReset();
    }

    public static byte[] Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData([0x01]);
        hash.AppendData(left);
        hash.AppendData(right);
        return hash.GetHashAndReset();
    }
}
