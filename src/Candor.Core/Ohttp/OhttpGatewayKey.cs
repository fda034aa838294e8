using System.Buffers.Binary;
using System.Security.Cryptography;
using Candor.Hpke;

namespace Candor.Ohttp;

/// <summary>
/// A gateway's private key with its published configuration (RFC 9458, section 4.3, gateway side).
/// Thread-safe: each decapsulation builds its own HPKE context.
/// What is the same for every request is prepared once here (the gateway's hot path, docs/benchmarks.md):
/// the private key stays loaded (<see cref="DhkemPrivateKey"/>), and each offered suite keeps its
/// hashed HPKE info, which depends only on this key's id and the suite.
/// </summary>
internal sealed class OhttpGatewayKey
{
    private readonly byte[] _privateKey;
    private readonly DhkemPrivateKey _loaded;
    private readonly Dictionary<(KdfId, AeadId), (HpkeSuite Suite, byte[] InfoHash)> _suites = [];

    public OhttpGatewayKey(byte keyId, KemId kem, byte[] privateKey, IReadOnlyList<(KdfId Kdf, AeadId Aead)>? algorithms = null)
    {
        var dhkem = Dhkem.For(kem);
        _privateKey = privateKey;
        _loaded = dhkem.LoadPrivateKey(privateKey);
        Config = new OhttpKeyConfig(keyId, kem, _loaded.PublicKey, algorithms ?? DefaultAlgorithms);
        foreach (var (kdf, aead) in Config.Algorithms)
        {
            var suite = new HpkeSuite(kem, kdf, aead);
            _suites[(kdf, aead)] = (suite, suite.InfoHash(ObliviousRequest.Info(ObliviousRequest.Header(keyId, kem, kdf, aead))));
        }
    }

    /// <summary>AES-128-GCM first (RFC 9458's example, and what public relays' clients send), ChaCha20-Poly1305 for devices without AES instructions.</summary>
    public static readonly IReadOnlyList<(KdfId Kdf, AeadId Aead)> DefaultAlgorithms =
        [(KdfId.HkdfSha256, AeadId.Aes128Gcm), (KdfId.HkdfSha256, AeadId.ChaCha20Poly1305)];

    public OhttpKeyConfig Config { get; }

    public byte KeyId => Config.KeyId;

    /// <summary>The raw private key, for the key file; never logged, never served.</summary>
    public byte[] PrivateKey => (byte[])_privateKey.Clone();

    public static OhttpGatewayKey Generate(byte keyId, KemId kem) =>
        new(keyId, kem, Dhkem.For(kem).GeneratePrivateKey());

    /// <summary>The key id an encapsulated request names, so a key ring can pick the key; null when too short.</summary>
    public static byte? KeyIdOf(ReadOnlySpan<byte> encapsulatedRequest) => encapsulatedRequest.IsEmpty ? null : encapsulatedRequest[0];

    /// <summary>Opens a <c>message/ohttp-req</c> body; the returned request answers through its own context.</summary>
    public DecapsulatedRequest Decapsulate(ReadOnlySpan<byte> encapsulatedRequest)
    {
        var kem = Dhkem.For(Config.Kem);
        if (encapsulatedRequest.Length < 7 + kem.PublicKeySize + 16)
            throw new OhttpFormatException("truncated", "The encapsulated request is too short.");
        var header = encapsulatedRequest[..7];
        if (header[0] != KeyId || BinaryPrimitives.ReadUInt16BigEndian(header[1..]) != (ushort)Config.Kem)
            throw new OhttpFormatException("unknown-key", "The request names a key this gateway does not hold.");
        var kdf = (KdfId)BinaryPrimitives.ReadUInt16BigEndian(header[3..]);
        var aead = (AeadId)BinaryPrimitives.ReadUInt16BigEndian(header[5..]);
        if (!_suites.TryGetValue((kdf, aead), out var prepared))
            throw new OhttpFormatException("unsupported-algorithm", "The request uses a KDF/AEAD pair this key does not offer.");
        var enc = encapsulatedRequest.Slice(7, kem.PublicKeySize).ToArray();
        try
        {
            // The header was checked above to be exactly this key's and this suite's, so the prepared info hash is its own.
            var context = prepared.Suite.SetupBaseRecipientWithInfoHash(enc, _loaded, prepared.InfoHash);
            var request = context.Open([], encapsulatedRequest[(7 + kem.PublicKeySize)..]);
            return new DecapsulatedRequest(request, context, enc);
        }
        catch (CryptographicException)
        {
            throw new OhttpFormatException("undecryptable", "The encapsulated request does not decrypt under this gateway's key.");
        }
    }
}
