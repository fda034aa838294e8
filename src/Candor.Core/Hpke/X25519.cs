using System.Security.Cryptography;

namespace Candor.Hpke;

/// <summary>
/// X25519 (RFC 7748) through the platform's OpenSSL. Private keys are 32 random bytes (OpenSSL clamps
/// them); public keys are 32 bytes with the top bit masked and non-canonical values accepted, as
/// RFC 7748 requires. A shared secret of all zeros (a low-order public key) is refused: OpenSSL
/// reports it as a failure and HPKE (RFC 9180, section 7.1.4) says to abort there.
/// </summary>
internal static class X25519
{
    public const int KeySize = 32;

    public static bool IsSupported { get; } = DetectSupport();

    public static byte[] GeneratePrivateKey() => RandomNumberGenerator.GetBytes(KeySize);

    public static unsafe byte[] PublicKey(ReadOnlySpan<byte> privateKey)
    {
        CheckLength(privateKey, "private key");
        IntPtr key = IntPtr.Zero;
        try
        {
            fixed (byte* p = privateKey)
                key = LibCrypto.EVP_PKEY_new_raw_private_key(LibCrypto.EvpPkeyX25519, IntPtr.Zero, p, KeySize);
            if (key == IntPtr.Zero)
                throw Failure("could not load the X25519 private key");
            var result = new byte[KeySize];
            nuint length = KeySize;
            fixed (byte* r = result)
                if (LibCrypto.EVP_PKEY_get_raw_public_key(key, r, &length) != 1 || length != KeySize)
                    throw Failure("could not compute the X25519 public key");
            return result;
        }
        finally
        {
            if (key != IntPtr.Zero)
                LibCrypto.EVP_PKEY_free(key);
        }
    }

    /// <summary>X25519(privateKey, publicKey); throws <see cref="CryptographicException"/> on a zero result.</summary>
    /// <remarks>Loads the private key for this one call; a recipient with a long-lived key uses <see cref="X25519PrivateKey"/>.</remarks>
    public static unsafe byte[] SharedSecret(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey)
    {
        CheckLength(privateKey, "private key");
        CheckLength(publicKey, "public key");
        IntPtr own = IntPtr.Zero;
        try
        {
            fixed (byte* p = privateKey)
                own = LibCrypto.EVP_PKEY_new_raw_private_key(LibCrypto.EvpPkeyX25519, IntPtr.Zero, p, KeySize);
            if (own == IntPtr.Zero)
                throw Failure("could not load an X25519 key");
            return Derive(own, publicKey);
        }
        finally
        {
            if (own != IntPtr.Zero) LibCrypto.EVP_PKEY_free(own);
        }
    }

    /// <summary>The key agreement itself, with an already loaded private key (not freed here).</summary>
    internal static unsafe byte[] Derive(IntPtr own, ReadOnlySpan<byte> publicKey)
    {
        IntPtr peer = IntPtr.Zero, context = IntPtr.Zero;
        try
        {
            fixed (byte* q = publicKey)
                peer = LibCrypto.EVP_PKEY_new_raw_public_key(LibCrypto.EvpPkeyX25519, IntPtr.Zero, q, KeySize);
            if (peer == IntPtr.Zero)
                throw Failure("could not load an X25519 key");
            context = LibCrypto.EVP_PKEY_CTX_new(own, IntPtr.Zero);
            if (context == IntPtr.Zero || LibCrypto.EVP_PKEY_derive_init(context) != 1 || LibCrypto.EVP_PKEY_derive_set_peer(context, peer) != 1)
                throw Failure("could not set up X25519");
            var result = new byte[KeySize];
            nuint length = KeySize;
            fixed (byte* r = result)
                if (LibCrypto.EVP_PKEY_derive(context, r, &length) != 1 || length != KeySize)
                    throw Failure("X25519 produced no shared secret (a low-order public key gives all zeros)");
            // OpenSSL already refuses an all-zero result; checked again so a different libcrypto cannot slip one through.
            if (CryptographicOperations.FixedTimeEquals(result, new byte[KeySize]))
                throw new CryptographicException("X25519 shared secret is all zeros (low-order public key).");
            return result;
        }
        finally
        {
            if (context != IntPtr.Zero) LibCrypto.EVP_PKEY_CTX_free(context);
            if (peer != IntPtr.Zero) LibCrypto.EVP_PKEY_free(peer);
        }
    }

    internal static void CheckLength(ReadOnlySpan<byte> key, string what)
    {
        if (key.Length != KeySize)
            throw new CryptographicException($"An X25519 {what} is {KeySize} bytes, not {key.Length}.");
    }

    internal static CryptographicException Failure(string what)
    {
        // OpenSSL keeps errors in a thread-local queue; leaving them there would confuse .NET's own later calls.
        LibCrypto.ERR_clear_error();
        return new CryptographicException($"OpenSSL: {what}.");
    }

    private static bool DetectSupport()
    {
        try
        {
            return LibCrypto.IsAvailable() && PublicKey(new byte[KeySize] { 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }).Length == KeySize;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or CryptographicException)
        {
            return false;
        }
    }
}
