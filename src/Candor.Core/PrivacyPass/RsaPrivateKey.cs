using System.Numerics;
using System.Security.Cryptography;

namespace Candor.PrivacyPass;

/// <summary>
/// An issuer's RSA private key, held as the numbers the raw blind-signing operation needs
/// (see <see cref="BlindRsa"/> for why the platform's <see cref="RSA"/> cannot do it). Stored on disk as
/// ordinary PKCS#8 PEM, so standard tools can inspect and back it up.
/// </summary>
internal sealed class RsaPrivateKey
{
    private readonly BigInteger _d, _p, _q, _dp, _dq, _qInv;

    private RsaPrivateKey(RSAParameters p)
    {
        if (p.D is null || p.P is null || p.Q is null || p.DP is null || p.DQ is null || p.InverseQ is null)
            throw new CryptographicException("the key has no private part");
        Public = RsaPublicKey.FromParameters(p);
        _d = BlindRsa.Os2Ip(p.D);
        _p = BlindRsa.Os2Ip(p.P);
        _q = BlindRsa.Os2Ip(p.Q);
        _dp = BlindRsa.Os2Ip(p.DP);
        _dq = BlindRsa.Os2Ip(p.DQ);
        _qInv = BlindRsa.Os2Ip(p.InverseQ);
        if (_p * _q != Public.N)
            throw new CryptographicException("inconsistent RSA key: p*q != n");
    }

    public RsaPublicKey Public { get; }

    /// <summary>A fresh key (Privacy Pass type 0x0002 uses 2048-bit moduli).</summary>
    public static RsaPrivateKey Generate(int bits = 2048)
    {
        using var rsa = RSA.Create(bits);
        return new RsaPrivateKey(rsa.ExportParameters(true));
    }

    /// <summary>Reads a PEM private key (PKCS#8 or PKCS#1). Throws <see cref="CryptographicException"/> or <see cref="ArgumentException"/> for anything else.</summary>
    public static RsaPrivateKey FromPem(string pem)
    {
        using var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return new RsaPrivateKey(rsa.ExportParameters(true));
    }

    /// <summary>From the primes and public exponent alone (the RFC 9474 vectors give p, q, e and d).</summary>
    public static RsaPrivateKey FromPrimes(BigInteger p, BigInteger q, BigInteger e)
    {
        var n = p * q;
        var phi = (p - 1) * (q - 1);
        var d = BlindRsa.ModInverse(e, phi);
        int size = (int)((n.GetBitLength() + 7) / 8);
        int half = (size + 1) / 2;
        return new RsaPrivateKey(new RSAParameters
        {
            Modulus = BlindRsa.I2Osp(n, size),
            Exponent = e.ToByteArray(isUnsigned: true, isBigEndian: true),
            D = BlindRsa.I2Osp(d, size),
            P = BlindRsa.I2Osp(p, half),
            Q = BlindRsa.I2Osp(q, half),
            DP = BlindRsa.I2Osp(d % (p - 1), half),
            DQ = BlindRsa.I2Osp(d % (q - 1), half),
            InverseQ = BlindRsa.I2Osp(BlindRsa.ModInverse(q, p), half),
        });
    }

    public string ToPem()
    {
        using var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters
        {
            Modulus = BlindRsa.I2Osp(Public.N, Public.ModulusBytes),
            Exponent = Public.E.ToByteArray(isUnsigned: true, isBigEndian: true),
            D = BlindRsa.I2Osp(_d, Public.ModulusBytes),
            P = BlindRsa.I2Osp(_p, (Public.ModulusBytes + 1) / 2),
            Q = BlindRsa.I2Osp(_q, (Public.ModulusBytes + 1) / 2),
            DP = BlindRsa.I2Osp(_dp, (Public.ModulusBytes + 1) / 2),
            DQ = BlindRsa.I2Osp(_dq, (Public.ModulusBytes + 1) / 2),
            InverseQ = BlindRsa.I2Osp(_qInv, (Public.ModulusBytes + 1) / 2),
        });
        return rsa.ExportPkcs8PrivateKeyPem();
    }

    /// <summary>
    /// m^d mod n by CRT, on m·r^e for a fresh random r, unblinded afterwards: the timing of the
    /// non-constant-time exponentiations then depends on a random value, not on the client's input.
    /// The caller (<see cref="BlindRsa.BlindSign"/>) checks the result with the public key.
    /// </summary>
    internal BigInteger RawSign(BigInteger m)
    {
        var n = Public.N;
        BigInteger r;
        do r = BlindRsa.RandomBelow(n);
        while (r.IsZero || !BigInteger.GreatestCommonDivisor(r, n).IsOne);
        var blinded = m * BigInteger.ModPow(r, Public.E, n) % n;
        var s1 = BigInteger.ModPow(blinded % _p, _dp, _p);
        var s2 = BigInteger.ModPow(blinded % _q, _dq, _q);
        var h = (s1 - s2) * _qInv % _p;
        if (h.Sign < 0)
            h += _p;
        var s = (s2 + h * _q) % n;
        return s * BlindRsa.ModInverse(r, n) % n;
    }
}
