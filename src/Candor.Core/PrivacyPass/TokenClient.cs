using System.Numerics;
using System.Security.Cryptography;

namespace Candor.PrivacyPass;

/// <summary>
/// The client's half of RFC 9578 6.1 and 6.3 (type 0x0002): build a blinded request for a challenge,
/// then turn the issuer's answer into a token. The nonce is fresh per token and never sent to the issuer.
/// </summary>
internal static class TokenClient
{
    public static PendingToken CreateRequest(RsaPublicKey issuerKey, TokenChallenge challenge)
    {
        var nonce = RandomNumberGenerator.GetBytes(PrivateToken.NonceLength);
        var input = PrivateToken.AuthenticatorInputFor(TokenChallenge.TokenTypeBlindRsa, nonce, challenge.Digest, issuerKey.KeyId);
        var blinding = BlindRsa.Sha384PssDeterministic.Blind(issuerKey, input);
        return new PendingToken(issuerKey, nonce, challenge.Digest, blinding.Inverse,
            new TokenRequest(TokenChallenge.TokenTypeBlindRsa, issuerKey.KeyId[^1], blinding.BlindedMessage));
    }

    internal static PendingToken CreateRequest(RsaPublicKey issuerKey, TokenChallenge challenge, byte[] nonce, byte[] salt, BigInteger inverse)
    {
        var input = PrivateToken.AuthenticatorInputFor(TokenChallenge.TokenTypeBlindRsa, nonce, challenge.Digest, issuerKey.KeyId);
        var blinding = BlindRsa.Sha384PssDeterministic.Blind(issuerKey, input, salt, inverse);
        return new PendingToken(issuerKey, nonce, challenge.Digest, blinding.Inverse,
            new TokenRequest(TokenChallenge.TokenTypeBlindRsa, issuerKey.KeyId[^1], blinding.BlindedMessage));
    }

    /// <summary>The finished token; throws <see cref="CryptographicException"/> when the issuer's answer does not verify.</summary>
    public static PrivateToken Finalize(PendingToken pending, ReadOnlySpan<byte> tokenResponse)
    {
        var input = PrivateToken.AuthenticatorInputFor(TokenChallenge.TokenTypeBlindRsa, pending.Nonce, pending.ChallengeDigest, pending.IssuerKey.KeyId);
        var signature = BlindRsa.Sha384PssDeterministic.Finalize(pending.IssuerKey, input, tokenResponse, pending.Inverse);
        return new PrivateToken(TokenChallenge.TokenTypeBlindRsa, pending.Nonce, pending.ChallengeDigest, pending.IssuerKey.KeyId, signature);
    }
}

/// <summary>A request on its way to the issuer, with what the client needs to finish the token.</summary>
internal sealed record PendingToken(RsaPublicKey IssuerKey, byte[] Nonce, byte[] ChallengeDigest, BigInteger Inverse, TokenRequest Request);
