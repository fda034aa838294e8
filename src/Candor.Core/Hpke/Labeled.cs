using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Candor.Hpke;

/// <summary>
/// RFC 9180's LabeledExtract/LabeledExpand (section 4) over HKDF, bound to one suite_id. The labeled
/// input is passed to HMAC in parts (<see cref="Hkdf"/>), so nothing is concatenated on the heap.
/// </summary>
internal static class Labeled
{
    private static ReadOnlySpan<byte> Version => "HPKE-v1"u8;

    public static byte[] Extract(HashAlgorithmName hash, ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> label, ReadOnlySpan<byte> ikm)
    {
        var prk = new byte[HashSize(hash)];
        Hkdf.Extract(hash, salt, prk, Version, suiteId, label, ikm);
        return prk;
    }

    public static byte[] Expand(HashAlgorithmName hash, ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> prk, ReadOnlySpan<byte> label, ReadOnlySpan<byte> info, int length)
    {
        using var keyed = new Hkdf(hash, prk);
        return Expand(keyed, suiteId, label, info, length);
    }

    /// <summary>LabeledExpand with a PRK already keyed (<see cref="Hkdf"/>): several expansions of one PRK share its HMAC.</summary>
    public static byte[] Expand(Hkdf prk, ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> label, ReadOnlySpan<byte> info, ReadOnlySpan<byte> info2, int length)
    {
        // labeled_info = I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info
        int size = 2 + Version.Length + suiteId.Length + label.Length + info.Length + info2.Length;
        Span<byte> labeled = size <= 512 ? stackalloc byte[size] : new byte[size];
        BinaryPrimitives.WriteUInt16BigEndian(labeled, checked((ushort)length));
        var rest = labeled[2..];
        Version.CopyTo(rest); rest = rest[Version.Length..];
        suiteId.CopyTo(rest); rest = rest[suiteId.Length..];
        label.CopyTo(rest); rest = rest[label.Length..];
        info.CopyTo(rest); rest = rest[info.Length..];
        info2.CopyTo(rest);
        var output = new byte[length];
        prk.Expand(labeled, output);
        return output;
    }

    public static byte[] Expand(Hkdf prk, ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> label, ReadOnlySpan<byte> info, int length) =>
        Expand(prk, suiteId, label, info, default, length);

    public static int HashSize(HashAlgorithmName hash) =>
        hash == HashAlgorithmName.SHA256 ? 32 : hash == HashAlgorithmName.SHA384 ? 48 : hash == HashAlgorithmName.SHA512 ? 64
            : throw new NotSupportedException($"Hash {hash.Name} is not an HPKE KDF hash.");
}
