using System.Numerics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Candor.PrivacyPass;

namespace Candor.Tests.PrivacyPass;

/// <summary>
/// RFC 9474 blind RSA, RFC 9578 type 0x0002 issuance and RFC 9577 authenticator input, checked byte for
/// byte against vectors computed by other implementations (Vectors/README.md).
/// </summary>
public sealed class ConformanceVectorTests
{
    internal static JsonElement[] Load(string file, [CallerFilePath] string source = "") =>
        [.. JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Path.GetDirectoryName(source)!, "Vectors", file))).RootElement.EnumerateArray()];

    private static byte[] Hex(JsonElement e, string name) => Convert.FromHexString(e.GetProperty(name).GetString()!);

    private static BigInteger Number(JsonElement e, string name) =>
        BigInteger.Parse("0" + e.GetProperty(name).GetString()![2..], System.Globalization.NumberStyles.HexNumber);

    private static BlindRsa Variant(string name) => name switch
    {
        "RSABSSA-SHA384-PSS-Randomized" => BlindRsa.Sha384PssRandomized,
        "RSABSSA-SHA384-PSSZERO-Randomized" => BlindRsa.Sha384PssZeroRandomized,
        "RSABSSA-SHA384-PSS-Deterministic" => BlindRsa.Sha384PssDeterministic,
        "RSABSSA-SHA384-PSSZERO-Deterministic" => BlindRsa.Sha384PssZeroDeterministic,
        _ => throw new InvalidOperationException(name),
    };

    [Fact]
    public void Blind_rsa_matches_every_rfc9474_vector_in_all_four_variants()
    {
        var vectors = Load("blindrsa-rfc9474.json");
        Assert.Equal(4, vectors.Length);
        foreach (var v in vectors)
        {
            var name = v.GetProperty("name").GetString()!;
            var variant = Variant(name);
            var key = RsaPrivateKey.FromPrimes(Number(v, "p"), Number(v, "q"), Number(v, "e"));
            Assert.Equal(Number(v, "n"), key.Public.N);
            var msg = Hex(v, "msg");
            var prefix = Hex(v, "msg_prefix");
            var input = Hex(v, "input_msg");
            Assert.Equal(variant.Randomized ? [.. prefix, .. msg] : msg, input);

            var blinded = variant.Blind(key.Public, input, Hex(v, "salt"), Number(v, "inv"));
            Assert.Equal(Hex(v, "blinded_msg"), blinded.BlindedMessage);

            var blindSig = BlindRsa.BlindSign(key, blinded.BlindedMessage);
            Assert.Equal(Hex(v, "blind_sig"), blindSig);

            var sig = variant.Finalize(key.Public, input, blindSig, blinded.Inverse);
            Assert.Equal(Hex(v, "sig"), sig);
            Assert.True(variant.Verify(key.Public, input, sig), name);
            Assert.False(variant.Verify(key.Public, msg.Length > 0 ? [.. input[..^1], (byte)(input[^1] ^ 1)] : input, sig), name);
        }
    }

    [Fact]
    public void Blind_signatures_with_fresh_randomness_verify_and_change_with_every_blind()
    {
        var key = RsaPrivateKey.Generate(2048);
        var variant = BlindRsa.Sha384PssRandomized;
        var input = variant.Prepare("a report batch"u8);
        var first = variant.Blind(key.Public, input);
        var second = variant.Blind(key.Public, input);
        Assert.NotEqual(first.BlindedMessage, second.BlindedMessage); // the signer cannot link two requests for one message
        var sig = variant.Finalize(key.Public, input, BlindRsa.BlindSign(key, first.BlindedMessage), first.Inverse);
        Assert.True(variant.Verify(key.Public, input, sig));
    }

    [Fact]
    public void Finalize_refuses_a_blind_signature_that_does_not_verify()
    {
        var key = RsaPrivateKey.Generate(2048);
        var variant = BlindRsa.Sha384PssDeterministic;
        var input = variant.Prepare("message"u8);
        var blinded = variant.Blind(key.Public, input);
        // A real signature, but on another blinded message: what a cheating or broken signer would return.
        var otherMessage = variant.Blind(key.Public, variant.Prepare("another message"u8));
        var wrongAnswer = BlindRsa.BlindSign(key, otherMessage.BlindedMessage);
        Assert.Throws<CryptographicException>(() => variant.Finalize(key.Public, input, wrongAnswer, blinded.Inverse));
    }

    [Fact]
    public void Blind_sign_refuses_a_value_not_below_the_modulus_or_of_the_wrong_length()
    {
        var key = RsaPrivateKey.Generate(2048);
        Assert.Throws<CryptographicException>(() => BlindRsa.BlindSign(key, Enumerable.Repeat((byte)0xFF, 256).ToArray()));
        Assert.Throws<CryptographicException>(() => BlindRsa.BlindSign(key, new byte[255]));
    }

    [Fact]
    public void Token_authenticator_input_matches_every_rfc9577_vector()
    {
        var vectors = Load("token-test-vectors.json");
        Assert.Equal(5, vectors.Length);
        foreach (var v in vectors)
        {
            var challenge = new TokenChallenge(Convert.ToUInt16(v.GetProperty("token_type").GetString(), 16),
                Encoding.UTF8.GetString(Hex(v, "issuer_name")), Hex(v, "redemption_context"), Encoding.UTF8.GetString(Hex(v, "origin_info")));
            var input = PrivateToken.AuthenticatorInputFor(challenge.TokenType, Hex(v, "nonce"), challenge.Digest, Hex(v, "token_key_id"));
            Assert.Equal(Hex(v, "token_authenticator_input"), input);
            Assert.Equal(challenge.Encoded, TokenChallenge.Decode(challenge.Encoded).Encoded);
        }
    }

    [Fact]
    public void Type2_issuance_matches_every_rfc9578_vector_from_request_to_token()
    {
        var vectors = Load("type2-issuance-test-vectors.json");
        Assert.Equal(5, vectors.Length);
        foreach (var v in vectors)
        {
            var key = RsaPrivateKey.FromPem(Encoding.ASCII.GetString(Hex(v, "skS")));
            Assert.Equal(Hex(v, "pkS"), key.Public.Spki); // byte-exact RSASSA-PSS SubjectPublicKeyInfo, so key ids agree
            Assert.Equal(key.Public.N, RsaPublicKey.FromSpki(Hex(v, "pkS")).N);

            var challenge = TokenChallenge.Decode(Hex(v, "token_challenge"));
            var blind = BlindRsa.Os2Ip(Hex(v, "blind"));
            var pending = TokenClient.CreateRequest(key.Public, challenge, Hex(v, "nonce"), Hex(v, "salt"), BlindRsa.ModInverse(blind, key.Public.N));
            Assert.Equal(Hex(v, "token_request"), pending.Request.Encode());

            var request = TokenRequest.Decode(Hex(v, "token_request"));
            var response = TokenIssuer.Issue(key, request);
            Assert.Equal(Hex(v, "token_response"), response);

            var token = TokenClient.Finalize(pending, response);
            Assert.Equal(Hex(v, "token"), token.Encode());

            using var verifier = new TokenVerifier(challenge, [key.Public], []);
            Assert.Equal(TokenCheck.Valid, verifier.Check(Hex(v, "token"), out _));
        }
    }
}
