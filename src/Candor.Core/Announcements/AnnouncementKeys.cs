using System.Buffers.Text;
using System.Security.Cryptography;

namespace Candor.Announcements;

/// <summary>
/// ECDSA P-256 keys and the exact-bytes signing rule shared by <c>candor announce publish</c> and the
/// client. A key id is the first 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo, in lower-case hex.
/// </summary>
internal static class AnnouncementKeys
{
    public static ECDsa Generate() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public static string KeyId(byte[] subjectPublicKeyInfo) =>
        Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo).AsSpan(0, 8));

    public static string KeyId(ECDsa key) => KeyId(key.ExportSubjectPublicKeyInfo());

    /// <summary>Imports a public key from PEM or base64url DER; throws <see cref="FormatException"/> if it is not a P-256 key.</summary>
    public static byte[] ParsePublicKey(string text)
    {
        text = text.Trim();
        using var key = ECDsa.Create();
        try
        {
            if (text.StartsWith("-----", StringComparison.Ordinal))
                key.ImportFromPem(text);
            else
                key.ImportSubjectPublicKeyInfo(Base64Url.DecodeFromChars(text), out _);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or FormatException)
        {
            throw new FormatException("not an ECDSA public key: " + e.Message, e);
        }
        if (key.KeySize != 256 || key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            throw new FormatException("not a P-256 key");
        return key.ExportSubjectPublicKeyInfo();
    }

    public static SignedEnvelope Sign(ReadOnlySpan<byte> payload, ECDsa key) => new()
    {
        Payload = Base64Url.EncodeToString(payload),
        KeyId = KeyId(key),
        Signature = Base64Url.EncodeToString(key.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)),
    };

    /// <summary>Verifies an IEEE P1363 (<c>r||s</c>, 64 bytes) signature over <paramref name="payload"/> exactly.</summary>
    public static bool Verify(byte[] subjectPublicKeyInfo, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> signature,
        DSASignatureFormat format = DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
    {
        using var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
            return key.VerifyData(payload, signature, HashAlgorithmName.SHA256, format);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
