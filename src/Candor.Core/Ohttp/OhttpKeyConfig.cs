using System.Buffers.Binary;
using Candor.Hpke;

namespace Candor.Ohttp;

/// <summary>
/// One gateway key configuration (RFC 9458, section 3): key id, KEM, public key and the KDF/AEAD pairs
/// the gateway accepts. Its bytes are what a client pins: two configurations are "the same for
/// everyone" exactly when their encodings are equal.
/// </summary>
internal sealed class OhttpKeyConfig
{
    public OhttpKeyConfig(byte keyId, KemId kem, byte[] publicKey, IReadOnlyList<(KdfId Kdf, AeadId Aead)> algorithms)
    {
        var dhkem = Dhkem.For(kem);
        if (publicKey.Length != dhkem.PublicKeySize)
            throw new OhttpFormatException("bad-key-config", $"A KEM 0x{(ushort)kem:x4} public key is {dhkem.PublicKeySize} bytes, not {publicKey.Length}.");
        if (algorithms.Count == 0)
            throw new OhttpFormatException("bad-key-config", "A key configuration names at least one KDF/AEAD pair.");
        KeyId = keyId;
        Kem = kem;
        PublicKey = publicKey;
        Algorithms = algorithms;
    }

    public byte KeyId { get; }
    public KemId Kem { get; }
    public byte[] PublicKey { get; }
    public IReadOnlyList<(KdfId Kdf, AeadId Aead)> Algorithms { get; }

    // The bytes as received, so a parsed configuration re-encodes exactly (pins compare bytes), even when it listed algorithms this implementation skips.
    private byte[]? _received;

    public byte[] Encode()
    {
        if (_received is not null)
            return (byte[])_received.Clone();
        var result = new byte[1 + 2 + PublicKey.Length + 2 + 4 * Algorithms.Count];
        result[0] = KeyId;
        BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(1), (ushort)Kem);
        PublicKey.CopyTo(result, 3);
        int at = 3 + PublicKey.Length;
        BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(at), (ushort)(4 * Algorithms.Count));
        at += 2;
        foreach (var (kdf, aead) in Algorithms)
        {
            BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(at), (ushort)kdf);
            BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(at + 2), (ushort)aead);
            at += 4;
        }
        return result;
    }

    /// <summary>Reads one configuration that fills <paramref name="input"/> exactly.</summary>
    public static OhttpKeyConfig Parse(ReadOnlySpan<byte> input) =>
        TryParse(input, out var config, out var problem) ? config! : throw new OhttpFormatException("bad-key-config", problem!);

    /// <summary>Reads an <c>application/ohttp-keys</c> body (RFC 9458, section 3.2): length-prefixed configurations; unsupported KEMs and algorithms are skipped, as clients must.</summary>
    public static IReadOnlyList<OhttpKeyConfig> ParseList(ReadOnlySpan<byte> input)
    {
        var configs = new List<OhttpKeyConfig>();
        while (!input.IsEmpty)
        {
            if (input.Length < 2)
                throw new OhttpFormatException("bad-key-config", "The key configuration list is cut off.");
            int length = BinaryPrimitives.ReadUInt16BigEndian(input);
            if (input.Length < 2 + length)
                throw new OhttpFormatException("bad-key-config", "A key configuration's length points past the end of the list.");
            if (TryParse(input.Slice(2, length), out var config, out _) && config is not null)
                configs.Add(config);
            input = input[(2 + length)..];
        }
        return configs;
    }

    public static byte[] EncodeList(IEnumerable<OhttpKeyConfig> configs)
    {
        var output = new List<byte>();
        foreach (var config in configs)
        {
            var bytes = config.Encode();
            output.Add((byte)(bytes.Length >> 8));
            output.Add((byte)bytes.Length);
            output.AddRange(bytes);
        }
        return [.. output];
    }

    /// <summary>False with a reason for a malformed configuration; true with null for a well-formed one this implementation cannot use.</summary>
    private static bool TryParse(ReadOnlySpan<byte> input, out OhttpKeyConfig? config, out string? problem)
    {
        config = null;
        problem = null;
        if (input.Length < 3)
        {
            problem = "A key configuration is shorter than its header.";
            return false;
        }
        ushort kem = BinaryPrimitives.ReadUInt16BigEndian(input[1..]);
        if (!Dhkem.IsKnown(kem))
        {
            problem = $"KEM 0x{kem:x4} is not supported.";
            return input.Length >= 3; // well-formed as far as can be told; skipped by lists
        }
        int npk = Dhkem.For((KemId)kem).PublicKeySize;
        if (input.Length < 3 + npk + 2)
        {
            problem = "A key configuration is cut off.";
            return false;
        }
        int algorithmsLength = BinaryPrimitives.ReadUInt16BigEndian(input[(3 + npk)..]);
        if (algorithmsLength < 4 || algorithmsLength % 4 != 0 || input.Length != 3 + npk + 2 + algorithmsLength)
        {
            problem = "A key configuration's algorithm list has the wrong length.";
            return false;
        }
        var algorithms = new List<(KdfId, AeadId)>();
        for (int at = 3 + npk + 2; at < input.Length; at += 4)
        {
            ushort kdf = BinaryPrimitives.ReadUInt16BigEndian(input[at..]);
            ushort aead = BinaryPrimitives.ReadUInt16BigEndian(input[(at + 2)..]);
            if (HpkeSuite.IsKnown(kdf, aead))
                algorithms.Add(((KdfId)kdf, (AeadId)aead));
        }
        if (algorithms.Count == 0)
        {
            problem = "The key configuration offers no supported KDF/AEAD pair.";
            return true;
        }
        config = new OhttpKeyConfig(input[0], (KemId)kem, input.Slice(3, npk).ToArray(), algorithms) { _received = input.ToArray() };
        return true;
    }
}
