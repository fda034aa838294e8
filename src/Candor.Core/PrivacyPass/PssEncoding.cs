using System.Security.Cryptography;

namespace Candor.PrivacyPass;

/// <summary>
/// EMSA-PSS encoding and verification (RFC 8017 9.1) with SHA-384 and MGF1-SHA-384. Written out
/// because blinding needs the encoded message itself (no platform API returns it) and because the
/// PSSZERO variants need a salt length other than the hash length, which <see cref="RSA.VerifyData(byte[], byte[], HashAlgorithmName, RSASignaturePadding)"/> cannot express.
/// </summary>
internal static class PssEncoding
{
    private const int HLen = 48;

    public static byte[] Encode(ReadOnlySpan<byte> message, int emBits, ReadOnlySpan<byte> salt)
    {
        int emLen = (emBits + 7) / 8;
        if (emLen < HLen + salt.Length + 2)
            throw new CryptographicException("encoding error: modulus too small");
        var mHash = SHA384.HashData(message);
        var h = HashWithSalt(mHash, salt);
        var db = new byte[emLen - HLen - 1];
        db[db.Length - salt.Length - 1] = 0x01;
        salt.CopyTo(db.AsSpan(db.Length - salt.Length));
        var mask = Mgf1(h, db.Length);
        for (int i = 0; i < db.Length; i++)
            db[i] ^= mask[i];
        db[0] &= (byte)(0xFF >> (8 * emLen - emBits));
        var em = new byte[emLen];
        db.CopyTo(em, 0);
        h.CopyTo(em, db.Length);
        em[^1] = 0xBC;
        return em;
    }

    public static bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> em, int emBits, int saltLength)
    {
        int emLen = (emBits + 7) / 8;
        if (em.Length != emLen || emLen < HLen + saltLength + 2 || em[^1] != 0xBC)
            return false;
        var maskedDb = em[..(emLen - HLen - 1)];
        var h = em.Slice(emLen - HLen - 1, HLen);
        byte topMask = (byte)(0xFF << (8 - (8 * emLen - emBits)));
        if ((8 * emLen - emBits) > 0 && (maskedDb[0] & topMask) != 0)
            return false;
        var db = Mgf1(h, maskedDb.Length);
        for (int i = 0; i < db.Length; i++)
            db[i] ^= maskedDb[i];
        db[0] &= (byte)(0xFF >> (8 * emLen - emBits));
        int psLength = emLen - HLen - saltLength - 2;
        for (int i = 0; i < psLength; i++)
            if (db[i] != 0)
                return false;
        if (db[psLength] != 0x01)
            return false;
        var salt = db.AsSpan(db.Length - saltLength);
        var expected = HashWithSalt(SHA384.HashData(message), salt);
        return CryptographicOperations.FixedTimeEquals(expected, h);
    }

    private static byte[] HashWithSalt(ReadOnlySpan<byte> mHash, ReadOnlySpan<byte> salt)
    {
        var mPrime = new byte[8 + HLen + salt.Length];
        mHash.CopyTo(mPrime.AsSpan(8));
        salt.CopyTo(mPrime.AsSpan(8 + HLen));
        return SHA384.HashData(mPrime);
    }

    private static byte[] Mgf1(ReadOnlySpan<byte> seed, int length)
    {
        var output = new byte[length];
        var block = new byte[seed.Length + 4];
        seed.CopyTo(block);
        Span<byte> digest = stackalloc byte[HLen];
        for (int counter = 0, offset = 0; offset < length; counter++, offset += HLen)
        {
            block[^4] = (byte)(counter >> 24);
            block[^3] = (byte)(counter >> 16);
            block[^2] = (byte)(counter >> 8);
            block[^1] = (byte)counter;
            SHA384.HashData(block, digest);
            digest[..Math.Min(HLen, length - offset)].CopyTo(output.AsSpan(offset));
        }
        return output;
    }
}
