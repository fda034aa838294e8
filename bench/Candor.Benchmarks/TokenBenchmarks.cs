using BenchmarkDotNet.Attributes;
using Candor.PrivacyPass;

namespace Candor.Benchmarks;

/// <summary>
/// Privacy Pass costs: what the collector pays per report post (token verification, with the
/// platform's RSA), what the issuer pays per token (the blind signature, BigInteger CRT with blinding
/// and a verification of its own output), and the pure-C# verification the client uses on finalizing.
/// </summary>
[MemoryDiagnoser]
public class TokenBenchmarks
{
    private RsaPrivateKey _key = null!;
    private TokenVerifier _verifier = null!;
    private byte[] _token = null!;
    private byte[] _input = null!;
    private byte[] _signature = null!;
    private byte[] _blinded = null!;

    [GlobalSetup]
    public void Setup()
    {
        _key = RsaPrivateKey.Generate(2048);
        var challenge = new TokenChallenge(TokenChallenge.TokenTypeBlindRsa, "candor-issuer", [], "");
        var pending = TokenClient.CreateRequest(_key.Public, challenge);
        _blinded = pending.Request.BlindedMessage;
        var token = TokenClient.Finalize(pending, TokenIssuer.Issue(_key, pending.Request));
        _token = token.Encode();
        _input = token.AuthenticatorInput;
        _signature = token.Authenticator;
        _verifier = new TokenVerifier(challenge, [_key.Public], []);
        if (_verifier.Check(_token, out _) != TokenCheck.Valid)
            throw new InvalidOperationException("the benchmark token does not verify");
    }

    [Benchmark(Description = "collector: verify a token (platform RSA-PSS)")]
    public bool VerifyToken() => _verifier.Check(_token, out _) == TokenCheck.Valid; // bool: TokenCheck is internal to Candor.Core

    [Benchmark(Description = "verify with BlindRsa (BigInteger)")]
    public bool VerifyBigInteger() => BlindRsa.Sha384PssDeterministic.Verify(_key.Public, _input, _signature);

    [Benchmark(Description = "issuer: blind-sign one token request")]
    public byte[] BlindSign() => BlindRsa.BlindSign(_key, _blinded);
}
