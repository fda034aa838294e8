using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;

namespace Candor.PrivacyPass;

/// <summary>
/// An RSA public key as Privacy Pass publishes it (RFC 9578 6.5): a SubjectPublicKeyInfo whose
/// algorithm is id-RSASSA-PSS with SHA-384, MGF1-SHA-384 and a 48-byte salt. The token key id is
/// SHA-256 of exactly these bytes, so the encoding must be byte-exact (checked against the RFC's vectors).
/// </summary>
internal sealed class RsaPublicKey
{
    private const string RsaEncryptionOid = "1.2.840.113549.1.1.1";
    private const string RsassaPssOid = "1.2.840.113549.1.1.10";
    private const string Mgf1Oid = "1.2.840.113549.1.1.8";
    private const string Sha384Oid = "2.16.840.1.101.3.4.2.2";

    public RsaPublicKey(BigInteger n, BigInteger e)
    {
        if (n.Sign <= 0 || e.Sign <= 0)
            throw new CryptographicException("invalid RSA public key");
        N = n;
        E = e;
        ModulusBits = (int)n.GetBitLength();
        ModulusBytes = (ModulusBits + 7) / 8;
        Spki = EncodePssSpki(n, e);
        KeyId = SHA256.HashData(Spki);
    }

    public BigInteger N { get; }
    public BigInteger E { get; }
    public int ModulusBits { get; }
    public int ModulusBytes { get; }

    /// <summary>The RSASSA-PSS SubjectPublicKeyInfo (DER) published in the issuer directory.</summary>
    public byte[] Spki { get; }

    /// <summary>token_key_id: SHA-256 of <see cref="Spki"/>.</summary>
    public byte[] KeyId { get; }

    public static RsaPublicKey FromParameters(RSAParameters p) =>
        new(BlindRsa.Os2Ip(p.Modulus!), BlindRsa.Os2Ip(p.Exponent!));

    /// <summary>
    /// Reads a SubjectPublicKeyInfo with either the id-RSASSA-PSS or the plain rsaEncryption algorithm
    /// (the key is the same; the directory always republishes it as RSASSA-PSS).
    /// Throws <see cref="CryptographicException"/> for anything else.
    /// </summary>
    public static RsaPublicKey FromSpki(ReadOnlySpan<byte> spki)
    {
        try
        {
            var reader = new AsnReader(spki.ToArray(), AsnEncodingRules.DER);
            var info = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var algorithm = info.ReadSequence();
            var oid = algorithm.ReadObjectIdentifier();
            if (oid is not (RsassaPssOid or RsaEncryptionOid))
                throw new CryptographicException($"not an RSA key (algorithm {oid})");
            var bits = info.ReadBitString(out int unused);
            info.ThrowIfNotEmpty();
            if (unused != 0)
                throw new CryptographicException("malformed public key");
            var rsa = new AsnReader(bits, AsnEncodingRules.DER).ReadSequence();
            var n = rsa.ReadInteger();
            var e = rsa.ReadInteger();
            rsa.ThrowIfNotEmpty();
            return new RsaPublicKey(n, e);
        }
        catch (AsnContentException ex)
        {
            throw new CryptographicException("malformed public key: " + ex.Message, ex);
        }
    }

    /// <summary>The same key as a platform <see cref="RSA"/> (OpenSSL), for fast verification on the collector.</summary>
    public RSA ToRsa()
    {
        var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters
        {
            Modulus = BlindRsa.I2Osp(N, ModulusBytes),
            Exponent = E.ToByteArray(isUnsigned: true, isBigEndian: true),
        });
        return rsa;
    }

    private static byte[] EncodePssSpki(BigInteger n, BigInteger e)
    {
        var rsaKey = new AsnWriter(AsnEncodingRules.DER);
        using (rsaKey.PushSequence())
        {
            rsaKey.WriteInteger(n);
            rsaKey.WriteInteger(e);
        }
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier(RsassaPssOid);
                using (w.PushSequence())
                {
                    using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0)))
                    using (w.PushSequence())
                        w.WriteObjectIdentifier(Sha384Oid);
                    using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 1)))
                    using (w.PushSequence())
                    {
                        w.WriteObjectIdentifier(Mgf1Oid);
                        using (w.PushSequence())
                            w.WriteObjectIdentifier(Sha384Oid);
                    }
                    using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 2)))
                        w.WriteInteger(48);
                }
            }
            w.WriteBitString(rsaKey.Encode());
        }
        return w.Encode();
    }
}
