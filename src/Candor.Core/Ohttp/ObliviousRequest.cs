using System.Buffers.Binary;
using System.Security.Cryptography;
using Candor.Hpke;

namespace Candor.Ohttp;

/// <summary>
/// The client's half of one Oblivious HTTP exchange (RFC 9458, sections 4.3 and 4.4): encapsulates a
/// Binary HTTP request to a gateway's key configuration and keeps the HPKE context, the only thing
/// able to open that one response. One instance per request: contexts are never reused.
/// </summary>
internal sealed class ObliviousRequest
{
    private static readonly byte[] RequestLabel = "message/bhttp request"u8.ToArray();
    internal static readonly byte[] ResponseLabel = "message/bhttp response"u8.ToArray();

    private readonly HpkeContext _context;
    private readonly byte[] _enc;

    private ObliviousRequest(byte[] encapsulated, HpkeContext context, byte[] enc)
    {
        Encapsulated = encapsulated;
        _context = context;
        _enc = enc;
    }

    /// <summary>hdr || enc || ct: the body of a <c>message/ohttp-req</c>.</summary>
    public byte[] Encapsulated { get; }

    /// <param name="ephemeralPrivateKey">For test vectors only; normally a fresh key is drawn.</param>
    public static ObliviousRequest Encapsulate(OhttpKeyConfig config, ReadOnlySpan<byte> binaryHttpRequest,
        KdfId? kdf = null, AeadId? aead = null, ReadOnlySpan<byte> ephemeralPrivateKey = default)
    {
        var (chosenKdf, chosenAead) = kdf is null || aead is null ? config.Algorithms[0] : (kdf.Value, aead.Value);
        if (!config.Algorithms.Contains((chosenKdf, chosenAead)))
            throw new ArgumentException("The key configuration does not offer that KDF/AEAD pair.");
        var suite = new HpkeSuite(config.Kem, chosenKdf, chosenAead);
        var header = Header(config.KeyId, config.Kem, chosenKdf, chosenAead);
        var (enc, context) = suite.SetupBaseSender(config.PublicKey, Info(header), ephemeralPrivateKey);
        var ciphertext = context.Seal([], binaryHttpRequest);
        return new ObliviousRequest([.. header, .. enc, .. ciphertext], context, enc);
    }

    /// <summary>Opens the gateway's <c>message/ohttp-res</c> body into Binary HTTP response bytes.</summary>
    public byte[] OpenResponse(ReadOnlySpan<byte> encapsulatedResponse)
    {
        var suite = _context.Suite;
        int nonceLength = Math.Max(suite.KeySize, suite.NonceSize);
        if (encapsulatedResponse.Length < nonceLength + 16)
            throw new OhttpFormatException("truncated", "The encapsulated response is too short.");
        var (key, nonce) = ResponseKeys(_context, _enc, encapsulatedResponse[..nonceLength]);
        try
        {
            return suite.Open(key, nonce, [], encapsulatedResponse[nonceLength..]);
        }
        catch (CryptographicException)
        {
            throw new OhttpFormatException("undecryptable", "The encapsulated response does not decrypt: it was altered or is not the answer to this request.");
        }
    }

    internal static byte[] Header(byte keyId, KemId kem, KdfId kdf, AeadId aead)
    {
        var header = new byte[7];
        header[0] = keyId;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(1), (ushort)kem);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(3), (ushort)kdf);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(5), (ushort)aead);
        return header;
    }

    internal static byte[] Info(ReadOnlySpan<byte> header) => [.. RequestLabel, 0x00, .. header];

    /// <summary>RFC 9458, section 4.4: secret, salt = enc || response_nonce, PRK, then the AEAD key and nonce.</summary>
    internal static (byte[] Key, byte[] Nonce) ResponseKeys(HpkeContext context, ReadOnlySpan<byte> enc, ReadOnlySpan<byte> responseNonce)
    {
        var (key, nonce, prk) = ResponseKeysWithPrk(context, enc, responseNonce);
        CryptographicOperations.ZeroMemory(prk);
        return (key, nonce);
    }

    internal static (byte[] Key, byte[] Nonce, byte[] Prk) ResponseKeysWithPrk(HpkeContext context, ReadOnlySpan<byte> enc, ReadOnlySpan<byte> responseNonce)
    {
        var suite = context.Suite;
        var secret = context.Export(ResponseLabel, Math.Max(suite.KeySize, suite.NonceSize));
        try
        {
            // salt = concat(enc, response_nonce): one contiguous HMAC key.
            Span<byte> salt = stackalloc byte[enc.Length + responseNonce.Length];
            enc.CopyTo(salt);
            responseNonce.CopyTo(salt[enc.Length..]);
            var prk = new byte[suite.HashSize];
            Hkdf.Extract(suite.Hash, salt, prk, secret);
            var key = new byte[suite.KeySize];
            var nonce = new byte[suite.NonceSize];
            using var keyed = new Hkdf(suite.Hash, prk); // both expansions of one PRK share its HMAC
            keyed.Expand("key"u8, key);
            keyed.Expand("nonce"u8, nonce);
            return (key, nonce, prk);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

}
