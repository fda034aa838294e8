namespace Candor.Hpke;

/// <summary>
/// A recipient's DHKEM private key prepared once for many decapsulations (<see cref="Dhkem.Decap(ReadOnlySpan{byte}, DhkemPrivateKey)"/>):
/// the public key is computed here, not per message, and an X25519 key stays loaded in OpenSSL
/// (<see cref="X25519PrivateKey"/>). Thread-safe. A P-256 key is kept as its scalar and loaded per
/// agreement, as before: .NET does not promise that one ECDiffieHellman may derive on several threads.
/// </summary>
internal sealed class DhkemPrivateKey
{
    private readonly byte[] _scalar;
    private readonly X25519PrivateKey? _x25519;

    internal DhkemPrivateKey(Dhkem kem, ReadOnlySpan<byte> privateKey)
    {
        Kem = kem;
        _scalar = privateKey.ToArray();
        if (kem.Id == KemId.X25519Sha256)
        {
            _x25519 = new X25519PrivateKey(privateKey);
            PublicKey = _x25519.PublicKey;
        }
        else
        {
            PublicKey = kem.PublicKey(privateKey);
        }
    }

    public Dhkem Kem { get; }

    /// <summary>pkR, serialized as RFC 9180 says.</summary>
    public byte[] PublicKey { get; }

    internal byte[] Agree(ReadOnlySpan<byte> publicKey) =>
        _x25519 is not null ? _x25519.SharedSecret(publicKey) : Kem.Dh(_scalar, publicKey);
}
