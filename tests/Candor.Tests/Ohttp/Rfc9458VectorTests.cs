using System.Runtime.CompilerServices;
using System.Text.Json;
using Candor.Hpke;
using Candor.Ohttp;

namespace Candor.Tests.Ohttp;

/// <summary>RFC 9458 Appendix A end to end, checking every intermediate value the vector gives.</summary>
public sealed class Rfc9458VectorTests
{
    private static JsonElement Vector([CallerFilePath] string source = "") =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Path.GetDirectoryName(source)!, "Vectors", "rfc9458-appendix-a.json")))
            .RootElement.GetProperty("vectors")[0];

    private static byte[] Hex(JsonElement v, string name) => Convert.FromHexString(v.GetProperty(name).GetString()!);

    [Fact]
    public void The_key_configuration_parses_and_reencodes_byte_for_byte()
    {
        var v = Vector();
        var config = OhttpKeyConfig.Parse(Hex(v, "keyConfig"));
        Assert.Equal(1, config.KeyId);
        Assert.Equal(KemId.X25519Sha256, config.Kem);
        Assert.Equal(Hex(v, "publicKey"), config.PublicKey);
        Assert.Equal([(KdfId.HkdfSha256, AeadId.Aes128Gcm), (KdfId.HkdfSha256, AeadId.ChaCha20Poly1305)], config.Algorithms);
        Assert.Equal(Hex(v, "keyConfig"), config.Encode());

        var gatewayKey = new OhttpGatewayKey(1, KemId.X25519Sha256, Hex(v, "privateKey"), config.Algorithms);
        Assert.Equal(Hex(v, "keyConfig"), gatewayKey.Config.Encode());
    }

    [Fact]
    public void The_client_encapsulates_the_appendix_request_exactly()
    {
        var v = Vector();
        var config = OhttpKeyConfig.Parse(Hex(v, "keyConfig"));
        Assert.Equal(Hex(v, "clientEphemeralPublic"), X25519.PublicKey(Hex(v, "clientEphemeralPrivate")));
        var request = ObliviousRequest.Encapsulate(config, Hex(v, "request"), KdfId.HkdfSha256, AeadId.Aes128Gcm, Hex(v, "clientEphemeralPrivate"));
        Assert.Equal(Hex(v, "encapsulatedRequest"), request.Encapsulated);
        Assert.Equal(Hex(v, "response"), request.OpenResponse(Hex(v, "encapsulatedResponse")));
    }

    [Fact]
    public void The_gateway_opens_the_request_and_seals_the_appendix_response_with_every_intermediate()
    {
        var v = Vector();
        var key = new OhttpGatewayKey(1, KemId.X25519Sha256, Hex(v, "privateKey"), OhttpKeyConfig.Parse(Hex(v, "keyConfig")).Algorithms);
        var opened = key.Decapsulate(Hex(v, "encapsulatedRequest"));
        Assert.Equal(Hex(v, "request"), opened.BinaryHttpRequest);

        var bhttp = BinaryHttpRequest.Decode(opened.BinaryHttpRequest);
        Assert.Equal(("GET", "https", "example.com", "/"), (bhttp.Method, bhttp.Scheme, bhttp.Authority, bhttp.Path));
        Assert.Empty(bhttp.Headers);
        Assert.Empty(bhttp.Content);

        Assert.Equal(Hex(v, "info"), ObliviousRequestInfo(Hex(v, "encapsulatedRequest")));
        Assert.Equal(Hex(v, "salt"), (byte[])[.. Hex(v, "clientEphemeralPublic"), .. Hex(v, "responseNonce")]);
        var (secret, prk, aeadKey, aeadNonce) = opened.ResponseIntermediates(Hex(v, "responseNonce"));
        Assert.Equal(Hex(v, "secret"), secret);
        Assert.Equal(Hex(v, "prk"), prk);
        Assert.Equal(Hex(v, "aeadKey"), aeadKey);
        Assert.Equal(Hex(v, "aeadNonce"), aeadNonce);
        Assert.Equal(Hex(v, "encapsulatedResponse"), opened.SealResponse(Hex(v, "response"), Hex(v, "responseNonce")));

        Assert.Equal(200, BinaryHttpResponse.Decode(Hex(v, "response")).Status);
    }

    private static byte[] ObliviousRequestInfo(byte[] encapsulated) => [.. "message/bhttp request"u8, 0, .. encapsulated.AsSpan(0, 7)];
}
