using System.Security.Cryptography;
using Candor.Hpke;

namespace Candor.Ohttp;

/// <summary>A request the gateway opened, and the means to seal exactly one response to it.</summary>
internal sealed class DecapsulatedRequest
{
    private readonly HpkeContext _context;
    private readonly byte[] _enc;

    internal DecapsulatedRequest(byte[] binaryHttpRequest, HpkeContext context, byte[] enc)
    {
        BinaryHttpRequest = binaryHttpRequest;
        _context = context;
        _enc = enc;
    }

    public byte[] BinaryHttpRequest { get; }

    /// <summary>response_nonce || ct: the body of a <c>message/ohttp-res</c>.</summary>
    /// <param name="responseNonce">For test vectors only; normally random.</param>
    public byte[] SealResponse(ReadOnlySpan<byte> binaryHttpResponse, ReadOnlySpan<byte> responseNonce = default)
    {
        var suite = _context.Suite;
        int nonceLength = Math.Max(suite.KeySize, suite.NonceSize);
        if (!responseNonce.IsEmpty && responseNonce.Length != nonceLength)
            throw new ArgumentException($"The response nonce is {nonceLength} bytes for this suite.", nameof(responseNonce));
        // One array for the whole body: the nonce is drawn into its place and the AEAD writes after it.
        var body = new byte[nonceLength + binaryHttpResponse.Length + HpkeSuite.TagSize];
        var nonce = body.AsSpan(0, nonceLength);
        if (responseNonce.IsEmpty)
            RandomNumberGenerator.Fill(nonce);
        else
            responseNonce.CopyTo(nonce);
        var (key, aeadNonce) = ObliviousRequest.ResponseKeys(_context, _enc, nonce);
        try
        {
            suite.Seal(key, aeadNonce, [], binaryHttpResponse, body.AsSpan(nonceLength));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
        return body;
    }

    /// <summary>The intermediate values of RFC 9458 Appendix A, for conformance tests.</summary>
    internal (byte[] Secret, byte[] Prk, byte[] Key, byte[] Nonce) ResponseIntermediates(ReadOnlySpan<byte> responseNonce)
    {
        var suite = _context.Suite;
        var secret = _context.Export(ObliviousRequest.ResponseLabel, Math.Max(suite.KeySize, suite.NonceSize));
        var (key, nonce, prk) = ObliviousRequest.ResponseKeysWithPrk(_context, _enc, responseNonce);
        return (secret, prk, key, nonce);
    }
}
