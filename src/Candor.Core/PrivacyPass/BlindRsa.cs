using System.Numerics;
using System.Security.Cryptography;

namespace Candor.PrivacyPass;

/// <summary>
/// RFC 9474 RSA blind signatures, RSABSSA-SHA384-PSS (salt 48 bytes) and -PSSZERO (salt 0), in the
/// Randomized (a 32-byte random prefix on the message) and Deterministic variants. Privacy Pass type
/// 0x0002 tokens use RSABSSA-SHA384-PSS-Deterministic: the token's own nonce is the randomness.
///
/// Why BigInteger: .NET's <see cref="RSA"/> has no raw ("textbook", no padding) private operation, and
/// blind signing is exactly that operation on a value the signer cannot pad. The two alternatives were
/// P/Invoke into the platform's libcrypto with RSA_NO_PADDING (ties the core to one native ABI and
/// key-handle lifetime) or arithmetic on the exported key parameters. This class does the latter,
/// with three guards: CRT with the exported primes (speed), multiplicative blinding by a fresh random
/// r^e for every signature (BigInteger.ModPow is not constant-time; blinding decorrelates its timing
/// from the client's value), and a public-key check of every signature before it is returned (a fault
/// in the CRT half-exponentiations would otherwise leak a factor of n, the Bellcore attack).
/// </summary>
internal sealed class BlindRsa
{
    private const int HashLength = 48; // SHA-384
    public const int PrefixLength = 32;

    private BlindRsa(int saltLength, bool randomized)
    {
        SaltLength = saltLength;
        Randomized = randomized;
    }

    /// <summary>The variant Privacy Pass type 0x0002 uses.</summary>
    public static BlindRsa Sha384PssDeterministic { get; } = new(HashLength, false);
    public static BlindRsa Sha384PssRandomized { get; } = new(HashLength, true);
    public static BlindRsa Sha384PssZeroDeterministic { get; } = new(0, false);
    public static BlindRsa Sha384PssZeroRandomized { get; } = new(0, true);

    public int SaltLength { get; }
    public bool Randomized { get; }

    /// <summary>RFC 9474 4.1 Prepare: the message, behind 32 random bytes in the Randomized variants.</summary>
    public byte[] Prepare(ReadOnlySpan<byte> message)
    {
        if (!Randomized)
            return message.ToArray();
        var prepared = new byte[PrefixLength + message.Length];
        RandomNumberGenerator.Fill(prepared.AsSpan(0, PrefixLength));
        message.CopyTo(prepared.AsSpan(PrefixLength));
        return prepared;
    }

    /// <summary>RFC 9474 4.2 Blind, with fresh salt and blind.</summary>
    public BlindingResult Blind(RsaPublicKey key, ReadOnlySpan<byte> preparedMessage)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltLength);
        while (true)
        {
            var r = RandomBelow(key.N);
            if (r.IsZero || !BigInteger.GreatestCommonDivisor(r, key.N).IsOne)
                continue;
            return Blind(key, preparedMessage, salt, ModInverse(r, key.N));
        }
    }

    /// <summary>Blind with a given salt and inverse blind (for test vectors: RFC 9474 names them <c>salt</c> and <c>inv</c>).</summary>
    internal BlindingResult Blind(RsaPublicKey key, ReadOnlySpan<byte> preparedMessage, byte[] salt, BigInteger inv)
    {
        if (salt.Length != SaltLength)
            throw new ArgumentException($"The salt must be {SaltLength} bytes.", nameof(salt));
        var encoded = PssEncoding.Encode(preparedMessage, key.ModulusBits - 1, salt);
        var m = Os2Ip(encoded);
        if (!BigInteger.GreatestCommonDivisor(m, key.N).IsOne)
            throw new CryptographicException("invalid input: the encoded message shares a factor with n");
        var r = ModInverse(inv, key.N);
        var x = BigInteger.ModPow(r, key.E, key.N);
        var z = m * x % key.N;
        return new BlindingResult(I2Osp(z, key.ModulusBytes), inv);
    }

    /// <summary>
    /// RFC 9474 4.3 BlindSign: the signer's raw RSA operation on a blinded message, checked with the
    /// public key before it is returned. Throws <see cref="CryptographicException"/> for a message that
    /// is not a number below n of the right length.
    /// </summary>
    public static byte[] BlindSign(RsaPrivateKey key, ReadOnlySpan<byte> blindedMessage)
    {
        if (blindedMessage.Length != key.Public.ModulusBytes)
            throw new CryptographicException($"The blinded message must be {key.Public.ModulusBytes} bytes.");
        var m = Os2Ip(blindedMessage);
        if (m >= key.Public.N)
            throw new CryptographicException("The blinded message is not below the modulus.");
        var s = key.RawSign(m);
        if (BigInteger.ModPow(s, key.Public.E, key.Public.N) != m)
            throw new CryptographicException("signing failure: the signature did not verify (refusing to return it)");
        return I2Osp(s, key.Public.ModulusBytes);
    }

    /// <summary>RFC 9474 4.4 Finalize: unblinds and verifies, throwing when the signer's answer is not a valid signature.</summary>
    public byte[] Finalize(RsaPublicKey key, ReadOnlySpan<byte> preparedMessage, ReadOnlySpan<byte> blindSignature, BigInteger inv)
    {
        if (blindSignature.Length != key.ModulusBytes)
            throw new CryptographicException("unexpected input size: the blind signature has the wrong length");
        var z = Os2Ip(blindSignature);
        var s = z * inv % key.N;
        var signature = I2Osp(s, key.ModulusBytes);
        if (!Verify(key, preparedMessage, signature))
            throw new CryptographicException("invalid signature: the signer's answer does not verify");
        return signature;
    }

    /// <summary>RSASSA-PSS-VERIFY with SHA-384, MGF1-SHA-384 and this variant's salt length.</summary>
    public bool Verify(RsaPublicKey key, ReadOnlySpan<byte> preparedMessage, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != key.ModulusBytes)
            return false;
        var s = Os2Ip(signature);
        if (s >= key.N)
            return false;
        var m = BigInteger.ModPow(s, key.E, key.N);
        int emBits = key.ModulusBits - 1;
        int emLength = (emBits + 7) / 8;
        if (m.GetByteCount(isUnsigned: true) > emLength)
            return false;
        return PssEncoding.Verify(preparedMessage, I2Osp(m, emLength), emBits, SaltLength);
    }

    internal static BigInteger Os2Ip(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: true, isBigEndian: true);

    internal static byte[] I2Osp(BigInteger value, int length)
    {
        var result = new byte[length];
        int count = value.GetByteCount(isUnsigned: true);
        if (count > length)
            throw new CryptographicException("integer too large");
        value.TryWriteBytes(result.AsSpan(length - count), out _, isUnsigned: true, isBigEndian: true);
        return result;
    }

    internal static BigInteger ModInverse(BigInteger a, BigInteger n)
    {
        BigInteger t = 0, newT = 1, r = n, newR = a % n;
        while (!newR.IsZero)
        {
            var q = r / newR;
            (t, newT) = (newT, t - q * newT);
            (r, newR) = (newR, r - q * newR);
        }
        if (!r.IsOne)
            throw new CryptographicException("not invertible");
        return t.Sign < 0 ? t + n : t;
    }

    internal static BigInteger RandomBelow(BigInteger n)
    {
        int bytes = n.GetByteCount(isUnsigned: true);
        var buffer = new byte[bytes + 16]; // 128 extra bits make the modulo bias negligible
        RandomNumberGenerator.Fill(buffer);
        return Os2Ip(buffer) % n;
    }
}

/// <summary>What the client keeps between Blind and Finalize: the blinded message to send and the inverse blind.</summary>
internal sealed record BlindingResult(byte[] BlindedMessage, BigInteger Inverse);
