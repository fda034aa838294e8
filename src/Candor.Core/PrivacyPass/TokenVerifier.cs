using System.Security.Cryptography;

namespace Candor.PrivacyPass;

internal enum TokenCheck
{
    Valid,
    /// <summary>Not a token at all: bad base64url, wrong length or type.</summary>
    Malformed,
    /// <summary>Issued for another challenge (another issuer name or origin) or under a key nobody here knows.</summary>
    WrongIssuer,
    /// <summary>Under a key of this issuer that has been rotated out.</summary>
    ExpiredKey,
    /// <summary>The authenticator does not verify: forged or damaged.</summary>
    BadSignature,
}

/// <summary>
/// The collector's whole token decision, except double spending (which needs the store): the token
/// is a type 0x0002 token for this collector's challenge, under a key in <paramref name="activeKeys"/>,
/// and its RSASSA-PSS-SHA384 signature verifies (with the platform's RSA, which is faster than
/// <see cref="BlindRsa.Verify"/> and an independent check of it).
/// </summary>
internal sealed class TokenVerifier(TokenChallenge challenge, IReadOnlyList<RsaPublicKey> activeKeys, IReadOnlyList<byte[]> retiredKeyIds) : IDisposable
{
    private readonly (byte[] Id, RSA Rsa, int Size)[] _keys = [.. activeKeys.Select(k => (k.KeyId, k.ToRsa(), k.ModulusBytes))];

    public TokenChallenge Challenge { get; } = challenge;

    /// <summary>Checks <paramref name="token"/> (the raw bytes of the header's base64url value).</summary>
    public TokenCheck Check(ReadOnlySpan<byte> token, out PrivateToken? parsed)
    {
        parsed = null;
        if (token.Length < PrivateToken.InputLength + 1 || (token[0] << 8 | token[1]) != TokenChallenge.TokenTypeBlindRsa)
            return TokenCheck.Malformed;
        var keyId = token.Slice(2 + PrivateToken.NonceLength + PrivateToken.DigestLength, PrivateToken.KeyIdLength);
        if (!CryptographicOperations.FixedTimeEquals(token.Slice(2 + PrivateToken.NonceLength, PrivateToken.DigestLength), Challenge.Digest))
            return TokenCheck.WrongIssuer;
        foreach (var (id, rsa, size) in _keys)
        {
            if (!keyId.SequenceEqual(id))
                continue;
            if (token.Length != PrivateToken.InputLength + size)
                return TokenCheck.Malformed;
            var input = token[..PrivateToken.InputLength];
            var signature = token[PrivateToken.InputLength..];
            if (!rsa.VerifyData(input, signature, HashAlgorithmName.SHA384, RSASignaturePadding.Pss))
                return TokenCheck.BadSignature;
            parsed = PrivateToken.Decode(token, size);
            return TokenCheck.Valid;
        }
        foreach (var id in retiredKeyIds)
            if (keyId.SequenceEqual(id))
                return TokenCheck.ExpiredKey;
        return TokenCheck.WrongIssuer;
    }

    public void Dispose()
    {
        foreach (var (_, rsa, _) in _keys)
            rsa.Dispose();
    }
}
