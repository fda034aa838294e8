using System.Security.Cryptography;
using Candor.PrivacyPass;

namespace Candor.Benchmarks;

/// <summary>
/// Mints tokens for a load test straight from the issuer's key: a type 0x0002 token's authenticator is
/// an ordinary RSASSA-PSS-SHA384 signature over its authenticator input, so the platform's (fast) signing
/// makes tokens the collector cannot tell from issued ones, without blind issuance's round trips.
/// For benchmarks only: the real issuer never signs anything but blinded messages.
/// </summary>
public static class TokenMint
{
    public static void Write(string keyFolder, int count, string output, string issuerName = "candor-issuer", string originInfo = "")
    {
        var keyFile = Directory.GetFiles(keyFolder, "*.key").OrderBy(f => f, StringComparer.Ordinal).Last();
        var pem = File.ReadAllText(keyFile);
        var pub = RsaPrivateKey.FromPem(pem).Public;
        var challenge = new TokenChallenge(TokenChallenge.TokenTypeBlindRsa, issuerName, [], originInfo);
        var lines = new string[count];
        Parallel.For(0, count, () => { var r = RSA.Create(); r.ImportFromPem(pem); return r; }, (i, _, rsa) =>
        {
            var nonce = RandomNumberGenerator.GetBytes(PrivateToken.NonceLength);
            var input = PrivateToken.AuthenticatorInputFor(TokenChallenge.TokenTypeBlindRsa, nonce, challenge.Digest, pub.KeyId);
            var signature = rsa.SignData(input, HashAlgorithmName.SHA384, RSASignaturePadding.Pss);
            lines[i] = PrivateTokenHeader.Authorization(new PrivateToken(TokenChallenge.TokenTypeBlindRsa, nonce, challenge.Digest, pub.KeyId, signature));
            return rsa;
        }, rsa => rsa.Dispose());
        File.WriteAllLines(output, lines);
    }
}
