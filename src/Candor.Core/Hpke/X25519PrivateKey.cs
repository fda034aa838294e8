using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Candor.Hpke;

/// <summary>
/// An X25519 private key loaded into OpenSSL once, for a recipient that runs many key agreements with
/// one key (the Oblivious HTTP gateway: one per request). Loading a raw X25519 key makes OpenSSL compute
/// its public key, a full scalar multiplication; <see cref="X25519.SharedSecret"/> pays that on every
/// call, which doubled the gateway's curve work per request. Thread-safe: each agreement borrows a
/// derivation context (<see cref="X25519Agreement"/>) that no other thread uses meanwhile, and returns
/// it for the next one; the key itself is only read. The native key is freed when this is disposed or
/// collected (with the contexts, which hold references to it), and not while an agreement is using it.
/// </summary>
internal sealed class X25519PrivateKey : IDisposable
{
    private readonly KeyHandle _key;
    // At most one context per agreement running at once; ConcurrentBag keeps them per thread, without locks.
    private readonly System.Collections.Concurrent.ConcurrentBag<X25519Agreement> _agreements = [];
    private volatile bool _disposed;

    public unsafe X25519PrivateKey(ReadOnlySpan<byte> privateKey)
    {
        X25519.CheckLength(privateKey, "private key");
        IntPtr key;
        fixed (byte* p = privateKey)
            key = LibCrypto.EVP_PKEY_new_raw_private_key(LibCrypto.EvpPkeyX25519, IntPtr.Zero, p, X25519.KeySize);
        if (key == IntPtr.Zero)
            throw X25519.Failure("could not load the X25519 private key");
        _key = new KeyHandle(key);
        var publicKey = new byte[X25519.KeySize];
        nuint length = X25519.KeySize;
        fixed (byte* r = publicKey)
            if (LibCrypto.EVP_PKEY_get_raw_public_key(key, r, &length) != 1 || length != X25519.KeySize)
            {
                _key.Dispose();
                throw X25519.Failure("could not compute the X25519 public key");
            }
        PublicKey = publicKey;
    }

    public byte[] PublicKey { get; }

    /// <summary>X25519(this key, publicKey); throws <see cref="CryptographicException"/> on a zero result, like <see cref="X25519.SharedSecret"/>.</summary>
    public byte[] SharedSecret(ReadOnlySpan<byte> publicKey)
    {
        X25519.CheckLength(publicKey, "public key");
        bool added = false;
        try
        {
            _key.DangerousAddRef(ref added); // throws ObjectDisposedException after Dispose
            if (!_agreements.TryTake(out var agreement))
                agreement = X25519Agreement.Create(_key.DangerousGetHandle());
            byte[] secret;
            try
            {
                secret = agreement.Derive(publicKey);
            }
            catch
            {
                agreement.Dispose(); // a context OpenSSL refused once is not lent out again
                throw;
            }
            if (_disposed)
                agreement.Dispose();
            else
                _agreements.Add(agreement);
            return secret;
        }
        finally
        {
            if (added)
                _key.DangerousRelease();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        while (_agreements.TryTake(out var agreement))
            agreement.Dispose();
        _key.Dispose();
    }

    private sealed class KeyHandle : SafeHandle
    {
        public KeyHandle(IntPtr key) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(key);

        public override bool IsInvalid => handle == IntPtr.Zero;

        protected override bool ReleaseHandle()
        {
            LibCrypto.EVP_PKEY_free(handle);
            return true;
        }
    }
}
