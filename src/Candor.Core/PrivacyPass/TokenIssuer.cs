using System.Security.Cryptography;

namespace Candor.PrivacyPass;

/// <summary>
/// The issuer's half of RFC 9578 6.2 (type 0x0002): a blind signature on the client's blinded message.
/// It sees neither the nonce nor the challenge, so a token it issued cannot be linked to this request.
/// </summary>
internal static class TokenIssuer
{
    /// <summary>
    /// The TokenResponse (blind_sig[Nk]). Throws <see cref="FormatException"/> when the request does not
    /// name <paramref name="key"/> (truncated key id) or its blinded message is not a value below n.
    /// </summary>
    public static byte[] Issue(RsaPrivateKey key, TokenRequest request)
    {
        if (request.TokenType != TokenChallenge.TokenTypeBlindRsa)
            throw new FormatException("only token type 0x0002 is issued");
        if (request.TruncatedTokenKeyId != key.Public.KeyId[^1])
            throw new FormatException("the request names a token key this issuer does not hold");
        try
        {
            return BlindRsa.BlindSign(key, request.BlindedMessage);
        }
        catch (CryptographicException e)
        {
            throw new FormatException(e.Message, e);
        }
    }
}
