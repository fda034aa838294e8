using System.Security.Cryptography;

namespace Candor.Hpke;

/// <summary>
/// An HPKE encryption context (RFC 9180, section 5.2): key, base nonce, sequence number and exporter
/// secret. Not thread-safe: the sequence number must advance exactly once per message, or a nonce
/// would repeat under one key.
/// </summary>
internal sealed class HpkeContext
{
    private readonly HpkeSuite _suite;
    private readonly byte[] _key;
    private readonly byte[] _baseNonce;
    private readonly byte[] _exporterSecret;
    private ulong _sequence;

    internal HpkeContext(HpkeSuite suite, byte[] key, byte[] baseNonce, byte[] exporterSecret)
    {
        _suite = suite;
        _key = key;
        _baseNonce = baseNonce;
        _exporterSecret = exporterSecret;
    }

    public HpkeSuite Suite => _suite;

    internal byte[] Key => _key;
    internal byte[] BaseNonce => _baseNonce;
    internal byte[] ExporterSecret => _exporterSecret;

    public byte[] Seal(ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        var result = _suite.Seal(_key, NextNonce(), aad, plaintext);
        _sequence++;
        return result;
    }

    public byte[] Open(ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext)
    {
        var result = _suite.Open(_key, NextNonce(), aad, ciphertext);
        _sequence++; // only after success: a forged message must not desynchronize the sequence
        return result;
    }

    public byte[] Export(ReadOnlySpan<byte> exporterContext, int length) =>
        _suite.LabeledExpand(_exporterSecret, "sec"u8, exporterContext, length);

    private byte[] NextNonce()
    {
        if (_sequence == ulong.MaxValue)
            throw new CryptographicException("HPKE message limit reached for this context.");
        var nonce = (byte[])_baseNonce.Clone();
        ulong s = _sequence;
        for (int i = nonce.Length - 1; i >= nonce.Length - 8; i--)
        {
            nonce[i] ^= (byte)s;
            s >>= 8;
        }
        return nonce;
    }
}
