using System.Security.Cryptography;

namespace Candor.Hpke;

/// <summary>
/// One HPKE ciphersuite (RFC 9180) in base mode: the only mode Oblivious HTTP uses. Sender and
/// recipient set-up return an <see cref="HpkeContext"/> that seals/opens messages and exports secrets.
/// </summary>
internal sealed class HpkeSuite
{
    private readonly byte[] _suiteId;
    private byte[]? _pskIdHash; // the same for every base-mode context of this suite: computed once

    public HpkeSuite(KemId kem, KdfId kdf, AeadId aead)
    {
        Kem = Dhkem.For(kem);
        KdfId = kdf;
        AeadId = aead;
        Hash = kdf switch
        {
            KdfId.HkdfSha256 => HashAlgorithmName.SHA256,
            KdfId.HkdfSha384 => HashAlgorithmName.SHA384,
            KdfId.HkdfSha512 => HashAlgorithmName.SHA512,
            _ => throw new NotSupportedException($"HPKE KDF 0x{(ushort)kdf:x4} is not supported."),
        };
        HashSize = kdf switch { KdfId.HkdfSha256 => 32, KdfId.HkdfSha384 => 48, _ => 64 };
        (KeySize, NonceSize) = aead switch
        {
            AeadId.Aes128Gcm => (16, 12),
            AeadId.Aes256Gcm => (32, 12),
            AeadId.ChaCha20Poly1305 => (32, 12),
            _ => throw new NotSupportedException($"HPKE AEAD 0x{(ushort)aead:x4} is not supported."),
        };
        _suiteId = [(byte)'H', (byte)'P', (byte)'K', (byte)'E',
            (byte)((ushort)kem >> 8), (byte)kem, (byte)((ushort)kdf >> 8), (byte)kdf, (byte)((ushort)aead >> 8), (byte)aead];
    }

    public Dhkem Kem { get; }
    public KdfId KdfId { get; }
    public AeadId AeadId { get; }
    public HashAlgorithmName Hash { get; }

    /// <summary>Nh: the KDF's output size.</summary>
    public int HashSize { get; }

    /// <summary>Nk: the AEAD key size.</summary>
    public int KeySize { get; }

    /// <summary>Nn: the AEAD nonce size.</summary>
    public int NonceSize { get; }

    public static bool IsKnown(ushort kdf, ushort aead) =>
        kdf is >= 1 and <= 3 && aead is >= 1 and <= 3;

    /// <summary>SetupBaseS: the encapsulated key to send and the sender's context.</summary>
    public (byte[] Enc, HpkeContext Context) SetupBaseSender(ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> info, ReadOnlySpan<byte> ephemeralPrivateKey = default)
    {
        var (sharedSecret, enc) = Kem.Encap(recipientPublicKey, ephemeralPrivateKey);
        return (enc, KeySchedule(sharedSecret, info));
    }

    /// <summary>SetupBaseR: the recipient's context for an encapsulated key.</summary>
    public HpkeContext SetupBaseRecipient(ReadOnlySpan<byte> enc, ReadOnlySpan<byte> recipientPrivateKey, ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> info)
    {
        var sharedSecret = Kem.Decap(enc, recipientPrivateKey, recipientPublicKey);
        return KeySchedule(sharedSecret, info);
    }

    /// <summary>SetupBaseR with a recipient key prepared once (<see cref="Dhkem.LoadPrivateKey"/>); the same context as the other overload.</summary>
    public HpkeContext SetupBaseRecipient(ReadOnlySpan<byte> enc, DhkemPrivateKey recipientKey, ReadOnlySpan<byte> info) =>
        SetupBaseRecipientWithInfoHash(enc, recipientKey, InfoHash(info));

    /// <summary>
    /// SetupBaseR with info already hashed (<see cref="InfoHash"/>): a gateway's info is the same for every
    /// request under one key and suite. Not an overload of SetupBaseRecipient: a byte[] info would bind to it.
    /// </summary>
    internal HpkeContext SetupBaseRecipientWithInfoHash(ReadOnlySpan<byte> enc, DhkemPrivateKey recipientKey, byte[] infoHash)
    {
        if (recipientKey.Kem != Kem)
            throw new ArgumentException("The private key belongs to another KEM.", nameof(recipientKey));
        return KeyScheduleWithInfoHash(Kem.Decap(enc, recipientKey), infoHash);
    }

    /// <summary>LabeledExtract("", "info_hash", info) of the key schedule.</summary>
    internal byte[] InfoHash(ReadOnlySpan<byte> info) => Labeled.Extract(Hash, _suiteId, [], "info_hash"u8, info);

    internal HpkeContext KeySchedule(byte[] sharedSecret, ReadOnlySpan<byte> info)
    {
        byte[] infoHash;
        try
        {
            infoHash = InfoHash(info);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(sharedSecret);
            throw;
        }
        return KeyScheduleWithInfoHash(sharedSecret, infoHash);
    }

    private HpkeContext KeyScheduleWithInfoHash(byte[] sharedSecret, byte[] infoHash)
    {
        try
        {
            var pskIdHash = _pskIdHash ??= Labeled.Extract(Hash, _suiteId, [], "psk_id_hash"u8, []);
            Span<byte> context = stackalloc byte[1 + pskIdHash.Length + infoHash.Length];
            context[0] = 0x00; // mode_base
            pskIdHash.CopyTo(context[1..]);
            infoHash.CopyTo(context[(1 + pskIdHash.Length)..]);
            Span<byte> secret = stackalloc byte[HashSize];
            try
            {
                Hkdf.Extract(Hash, sharedSecret, secret, "HPKE-v1"u8, _suiteId, "secret"u8, []);
                // The three expansions of one secret share its HMAC (Hkdf).
                using var keyed = new Hkdf(Hash, secret);
                var key = Labeled.Expand(keyed, _suiteId, "key"u8, context, KeySize);
                var baseNonce = Labeled.Expand(keyed, _suiteId, "base_nonce"u8, context, NonceSize);
                var exporterSecret = Labeled.Expand(keyed, _suiteId, "exp"u8, context, HashSize);
                return new HpkeContext(this, key, baseNonce, exporterSecret);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(secret);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sharedSecret);
        }
    }

    internal byte[] LabeledExpand(ReadOnlySpan<byte> prk, ReadOnlySpan<byte> label, ReadOnlySpan<byte> info, int length) =>
        Labeled.Expand(Hash, _suiteId, prk, label, info, length);

    /// <summary>The AEAD tag's length: 16 bytes for every AEAD HPKE names here.</summary>
    public const int TagSize = 16;

    /// <summary>Seals with this suite's AEAD under an explicit key and nonce (OHTTP responses use this outside HPKE's own context).</summary>
    public byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[plaintext.Length + TagSize];
        Seal(key, nonce, aad, plaintext, output);
        return output;
    }

    /// <summary>Seals into <paramref name="output"/>: the ciphertext, then the tag (exactly plaintext length + <see cref="TagSize"/> bytes).</summary>
    public void Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        if (output.Length != plaintext.Length + TagSize)
            throw new ArgumentException("The output must hold the ciphertext and its tag exactly.", nameof(output));
        var ciphertext = output[..plaintext.Length];
        var tag = output[plaintext.Length..];
        if (AeadId == AeadId.ChaCha20Poly1305)
        {
            using var chacha = new ChaCha20Poly1305(key);
            chacha.Encrypt(nonce, plaintext, ciphertext, tag, aad);
        }
        else
        {
            using var gcm = new AesGcm(key, TagSize);
            gcm.Encrypt(nonce, plaintext, ciphertext, tag, aad);
        }
    }

    /// <summary>Opens with this suite's AEAD; throws <see cref="AuthenticationTagMismatchException"/> on any tampering.</summary>
    public byte[] Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertextAndTag)
    {
        if (ciphertextAndTag.Length < 16)
            throw new AuthenticationTagMismatchException("The ciphertext is shorter than its authentication tag.");
        int length = ciphertextAndTag.Length - 16;
        var plaintext = new byte[length];
        if (AeadId == AeadId.ChaCha20Poly1305)
        {
            using var chacha = new ChaCha20Poly1305(key);
            chacha.Decrypt(nonce, ciphertextAndTag[..length], ciphertextAndTag[length..], plaintext, aad);
        }
        else
        {
            using var gcm = new AesGcm(key, 16);
            gcm.Decrypt(nonce, ciphertextAndTag[..length], ciphertextAndTag[length..], plaintext, aad);
        }
        return plaintext;
    }
}
