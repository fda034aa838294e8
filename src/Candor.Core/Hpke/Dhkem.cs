using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Candor.Hpke;

/// <summary>
/// DHKEM (RFC 9180, section 4.1) over X25519 or P-256, both with HKDF-SHA256. Private keys are raw
/// 32-byte scalars; public keys are serialized as the RFC says (32 bytes for X25519, the 65-byte
/// uncompressed point for P-256).
/// </summary>
internal sealed class Dhkem
{
    public static readonly Dhkem X25519Sha256 = new(KemId.X25519Sha256, publicKeySize: 32);
    public static readonly Dhkem P256Sha256 = new(KemId.P256Sha256, publicKeySize: 65);

    public const int SecretSize = 32;
    public const int PrivateKeySize = 32;

    private readonly byte[] _suiteId;

    private Dhkem(KemId id, int publicKeySize)
    {
        Id = id;
        PublicKeySize = publicKeySize;
        _suiteId = [(byte)'K', (byte)'E', (byte)'M', (byte)((ushort)id >> 8), (byte)id];
    }

    public KemId Id { get; }

    /// <summary>Npk, which is also Nenc for a DHKEM.</summary>
    public int PublicKeySize { get; }

    public static Dhkem For(KemId id) => id switch
    {
        KemId.X25519Sha256 => X25519Sha256,
        KemId.P256Sha256 => P256Sha256,
        _ => throw new NotSupportedException($"HPKE KEM 0x{(ushort)id:x4} is not supported."),
    };

    public static bool IsKnown(ushort id) => id is (ushort)KemId.X25519Sha256 or (ushort)KemId.P256Sha256;

    public byte[] GeneratePrivateKey()
    {
        if (Id == KemId.X25519Sha256)
            return X25519.GeneratePrivateKey();
        using var ecdh = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        return Pad(ecdh.ExportParameters(includePrivateParameters: true).D!);
    }

    public byte[] PublicKey(ReadOnlySpan<byte> privateKey)
    {
        if (Id == KemId.X25519Sha256)
            return X25519.PublicKey(privateKey);
        using var ecdh = LoadP256Private(privateKey);
        var q = ecdh.ExportParameters(includePrivateParameters: false).Q;
        return [0x04, .. Pad(q.X!), .. Pad(q.Y!)];
    }

    /// <summary>Encap(pkR): the shared secret and the encapsulated key. <paramref name="ephemeralPrivateKey"/> is for test vectors only.</summary>
    public (byte[] SharedSecret, byte[] Enc) Encap(ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> ephemeralPrivateKey = default)
    {
        var skE = ephemeralPrivateKey.IsEmpty ? GeneratePrivateKey() : ephemeralPrivateKey.ToArray();
        try
        {
            var dh = Dh(skE, recipientPublicKey);
            var enc = PublicKey(skE);
            return (ExtractAndExpand(dh, enc, recipientPublicKey), enc);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(skE);
        }
    }

    public byte[] Decap(ReadOnlySpan<byte> enc, ReadOnlySpan<byte> recipientPrivateKey, ReadOnlySpan<byte> recipientPublicKey)
    {
        if (enc.Length != PublicKeySize)
            throw new CryptographicException($"The encapsulated key is {enc.Length} bytes; this KEM's is {PublicKeySize}.");
        var dh = Dh(recipientPrivateKey, enc);
        return ExtractAndExpand(dh, enc, recipientPublicKey);
    }

    /// <summary>Decap(enc, skR) with a key prepared once (<see cref="LoadPrivateKey"/>): the same result, without loading the key each time.</summary>
    public byte[] Decap(ReadOnlySpan<byte> enc, DhkemPrivateKey recipientKey)
    {
        if (recipientKey.Kem != this)
            throw new ArgumentException("The private key belongs to another KEM.", nameof(recipientKey));
        if (enc.Length != PublicKeySize)
            throw new CryptographicException($"The encapsulated key is {enc.Length} bytes; this KEM's is {PublicKeySize}.");
        var dh = recipientKey.Agree(enc);
        return ExtractAndExpand(dh, enc, recipientKey.PublicKey);
    }

    /// <summary>Prepares a recipient's private key for many decapsulations (the gateway's keys).</summary>
    public DhkemPrivateKey LoadPrivateKey(ReadOnlySpan<byte> privateKey) => new(this, privateKey);

    internal byte[] Dh(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey)
    {
        if (Id == KemId.X25519Sha256)
            return X25519.SharedSecret(privateKey, publicKey);
        if (publicKey.Length != 65 || publicKey[0] != 0x04)
            throw new CryptographicException("A P-256 public key must be a 65-byte uncompressed point.");
        using var own = LoadP256Private(privateKey);
        // ImportParameters checks that the point is on the curve: an invalid-curve point is refused here.
        using var peer = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = publicKey[1..33].ToArray(), Y = publicKey[33..65].ToArray() },
        });
        return own.DeriveRawSecretAgreement(peer.PublicKey);
    }

    /// <summary>ExtractAndExpand(dh, kem_context), kem_context = enc || pkR given in its two parts.</summary>
    private byte[] ExtractAndExpand(byte[] dh, ReadOnlySpan<byte> enc, ReadOnlySpan<byte> recipientPublicKey)
    {
        Span<byte> prk = stackalloc byte[32];
        try
        {
            // LabeledExtract("", "eae_prk", dh): the empty salt's HMAC is shared per thread (Hkdf).
            Hkdf.Extract(HashAlgorithmName.SHA256, [], prk, "HPKE-v1"u8, _suiteId, "eae_prk"u8, dh);
            using var keyed = new Hkdf(HashAlgorithmName.SHA256, prk);
            return Labeled.Expand(keyed, _suiteId, "shared_secret"u8, enc, recipientPublicKey, SecretSize);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dh);
            CryptographicOperations.ZeroMemory(prk);
        }
    }

    private static ECDiffieHellman LoadP256Private(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != PrivateKeySize)
            throw new CryptographicException($"A P-256 private key is {PrivateKeySize} bytes, not {privateKey.Length}.");
        // The public point is derived from D by the platform when Q is absent.
        return ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = privateKey.ToArray() });
    }

    private static byte[] Pad(byte[] value)
    {
        if (value.Length == 32)
            return value;
        var padded = new byte[32];
        value.CopyTo(padded, 32 - value.Length);
        return padded;
    }

    internal static ushort ReadId(ReadOnlySpan<byte> bytes) => BinaryPrimitives.ReadUInt16BigEndian(bytes);
}
