using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Candor.Hpke;

/// <summary>
/// A derivation context for one loaded X25519 private key, kept for the next agreement: OpenSSL's
/// context, already initialised for derivation, and a peer key whose 32 bytes are replaced per
/// agreement. Making both afresh costs a provider look-up each (about 7 µs of a 44 µs agreement here,
/// docs/benchmarks.md); the curve arithmetic is the same. Used by one thread at a time
/// (<see cref="X25519PrivateKey"/> lends them out). Holds no secret of its own: the private key is
/// OpenSSL's reference to the loaded key, and the peer key is the last request's public <c>enc</c>.
/// </summary>
internal sealed class X25519Agreement : SafeHandle
{
    private IntPtr _peer;

    private X25519Agreement() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>A context for <paramref name="ownKey"/> (not freed here; the context holds its own reference to it).</summary>
    public static unsafe X25519Agreement Create(IntPtr ownKey)
    {
        var agreement = new X25519Agreement();
        var context = LibCrypto.EVP_PKEY_CTX_new(ownKey, IntPtr.Zero);
        agreement.SetHandle(context);
        if (context == IntPtr.Zero || LibCrypto.EVP_PKEY_derive_init(context) != 1)
        {
            agreement.Dispose();
            throw X25519.Failure("could not set up X25519");
        }
        return agreement;
    }

    /// <summary>X25519(own key, publicKey); throws <see cref="CryptographicException"/> on failure or a zero result, after which this context is not reused.</summary>
    public unsafe byte[] Derive(ReadOnlySpan<byte> publicKey)
    {
        X25519.CheckLength(publicKey, "public key");
        fixed (byte* q = publicKey)
        {
            // In-place replacement of the peer's key; a libcrypto that refuses it gets a fresh peer key.
            if (_peer == IntPtr.Zero || LibCrypto.EVP_PKEY_set1_encoded_public_key(_peer, q, X25519.KeySize) != 1)
            {
                LibCrypto.ERR_clear_error();
                if (_peer != IntPtr.Zero)
                    LibCrypto.EVP_PKEY_free(_peer);
                _peer = LibCrypto.EVP_PKEY_new_raw_public_key(LibCrypto.EvpPkeyX25519, IntPtr.Zero, q, X25519.KeySize);
                if (_peer == IntPtr.Zero)
                    throw X25519.Failure("could not load an X25519 key");
            }
        }
        // No peer validation: every 32-byte string is an X25519 public key (RFC 7748), and the one bad
        // case, a low-order point, shows as an all-zero secret, refused below as before.
        if (LibCrypto.EVP_PKEY_derive_set_peer_ex(handle, _peer, 0) != 1)
            throw X25519.Failure("could not set up X25519");
        var result = new byte[X25519.KeySize];
        nuint length = X25519.KeySize;
        fixed (byte* r = result)
            if (LibCrypto.EVP_PKEY_derive(handle, r, &length) != 1 || length != X25519.KeySize)
                throw X25519.Failure("X25519 produced no shared secret (a low-order public key gives all zeros)");
        // OpenSSL already refuses an all-zero result; checked again so a different libcrypto cannot slip one through.
        if (CryptographicOperations.FixedTimeEquals(result, new byte[X25519.KeySize]))
            throw new CryptographicException("X25519 shared secret is all zeros (low-order public key).");
        return result;
    }

    protected override bool ReleaseHandle()
    {
        LibCrypto.EVP_PKEY_CTX_free(handle);
        if (_peer != IntPtr.Zero)
            LibCrypto.EVP_PKEY_free(_peer);
        _peer = IntPtr.Zero;
        return true;
    }
}
