using System.Security.Cryptography;

namespace Candor.Hpke;

/// <summary>
/// HKDF (RFC 5869) over one HMAC context per key, with the message given in parts. .NET's
/// <see cref="HKDF"/> opens an OpenSSL KDF and keys an HMAC for every call (2 to 3 µs here), and a
/// gateway derives ten values per request: three from HPKE's <c>secret</c> and two from the Oblivious
/// HTTP response PRK. Keying an HMAC costs most of a call and each further message about a fifth of it,
/// so one context per key, reused for that key's expansions, is cheaper; and DHKEM's extract, whose
/// salt is always empty, reuses one per-thread context that holds no secret between calls
/// (docs/benchmarks.md, "the gateway's own cost"). The results are HKDF's, byte for byte
/// (<c>HkdfTests</c> checks them against <see cref="HKDF"/> for every length and hash; the RFC 9180
/// and RFC 9458 vectors check the labeled forms).
/// </summary>
internal sealed class Hkdf : IDisposable
{
    private readonly IncrementalHash _hmac;
    private readonly int _hashSize;

    /// <summary>An HMAC keyed with <paramref name="prk"/>, for one or more <see cref="Expand"/> calls.</summary>
    public Hkdf(HashAlgorithmName hash, ReadOnlySpan<byte> prk)
    {
        _hmac = IncrementalHash.CreateHMAC(hash, prk);
        _hashSize = _hmac.HashLengthInBytes;
    }

    [ThreadStatic]
    private static IncrementalHash? t_emptySaltSha256;

    /// <summary>HKDF-Extract(salt, ikm1 || ikm2 || ...) into <paramref name="prk"/> (the hash's size).</summary>
    public static void Extract(HashAlgorithmName hash, ReadOnlySpan<byte> salt, Span<byte> prk,
        ReadOnlySpan<byte> ikm1, ReadOnlySpan<byte> ikm2 = default, ReadOnlySpan<byte> ikm3 = default, ReadOnlySpan<byte> ikm4 = default)
    {
        if (salt.IsEmpty && hash == HashAlgorithmName.SHA256)
        {
            // RFC 5869: an absent salt is HashLen zeros, which HMAC pads exactly as it pads an empty key.
            // GetHashAndReset below leaves the context as it was made: keyed with nothing secret.
            var shared = t_emptySaltSha256 ??= IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, []);
            try
            {
                Mac(shared, prk, ikm1, ikm2, ikm3, ikm4);
            }
            catch
            {
                // A call that failed half-way may have left input in the context: never reuse it.
                t_emptySaltSha256 = null;
                shared.Dispose();
                throw;
            }
            return;
        }
        using var hmac = IncrementalHash.CreateHMAC(hash, salt);
        Mac(hmac, prk, ikm1, ikm2, ikm3, ikm4);
    }

    /// <summary>HKDF-Expand(prk, info, output.Length), this instance's PRK.</summary>
    public void Expand(ReadOnlySpan<byte> info, Span<byte> output)
    {
        if (output.Length > 255 * _hashSize)
            throw new ArgumentException("HKDF-Expand gives at most 255 blocks.", nameof(output));
        Span<byte> block = stackalloc byte[_hashSize];
        Span<byte> counter = stackalloc byte[1];
        try
        {
            for (int i = 1, done = 0; done < output.Length; i++)
            {
                // T(i) = HMAC(PRK, T(i-1) || info || i), T(0) empty.
                counter[0] = (byte)i;
                Mac(_hmac, block, i == 1 ? default : block, info, counter);
                int take = Math.Min(_hashSize, output.Length - done);
                block[..take].CopyTo(output[done..]);
                done += take;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
        }
    }

    public void Dispose() => _hmac.Dispose();

    private static void Mac(IncrementalHash hmac, Span<byte> output,
        ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, ReadOnlySpan<byte> d = default)
    {
        hmac.AppendData(a);
        hmac.AppendData(b);
        hmac.AppendData(c);
        hmac.AppendData(d);
        if (hmac.GetHashAndReset(output) != output.Length)
            throw new CryptographicException("HMAC gave a result of an unexpected length.");
    }
}
