using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Candor.Hpke;

/// <summary>RFC 9180's LabeledExtract/LabeledExpand (section 4) over HKDF, bound to one suite_id.</summary>
internal static class Labeled
{
    private static readonly byte[] Version = "HPKE-v1"u8.ToArray();

    public static byte[] Extract(HashAlgorithmName hash, ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> salt, string label, ReadOnlySpan<byte> ikm)
    {
        var labeled = Concat(Version, suiteId, Encoding.ASCII.GetBytes(label), ikm);
        return HKDF.Extract(hash, labeled, salt.ToArray());
    }

    public static byte[] Expand(HashAlgorithmName hash, ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> prk, string label, ReadOnlySpan<byte> info, int length)
    {
        Span<byte> l = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(l, checked((ushort)length));
        var labeled = Concat(l, Version, suiteId, Encoding.ASCII.GetBytes(label), info);
        var output = new byte[length];
        HKDF.Expand(hash, prk, output, labeled);
        return output;
    }

    public static byte[] Concat(params ReadOnlySpan<byte[]> parts)
    {
        int total = 0;
        foreach (var p in parts) total += p.Length;
        var result = new byte[total];
        int at = 0;
        foreach (var p in parts)
        {
            p.CopyTo(result, at);
            at += p.Length;
        }
        return result;
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, ReadOnlySpan<byte> d, ReadOnlySpan<byte> e = default)
    {
        var result = new byte[a.Length + b.Length + c.Length + d.Length + e.Length];
        var span = result.AsSpan();
        a.CopyTo(span); span = span[a.Length..];
        b.CopyTo(span); span = span[b.Length..];
        c.CopyTo(span); span = span[c.Length..];
        d.CopyTo(span); span = span[d.Length..];
        e.CopyTo(span);
        return result;
    }
}
