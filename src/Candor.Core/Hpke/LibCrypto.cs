using System.Reflection;
using System.Runtime.InteropServices;

namespace Candor.Hpke;

/// <summary>
/// The few OpenSSL 3 <c>libcrypto</c> functions X25519 needs. .NET 10 has no X25519 of its own, but on
/// Linux it already loads the platform's libcrypto for everything else in System.Security.Cryptography,
/// so this borrows the same constant-time, widely audited code instead of a hand-written curve.
/// </summary>
internal static partial class LibCrypto
{
    private const string Library = "candor-libcrypto";
    public const int EvpPkeyX25519 = 1034; // NID_X25519

    // Debian/Ubuntu/Fedora ship libcrypto.so.3; Homebrew on macOS ships libcrypto.3.dylib.
    private static readonly string[] Candidates = ["libcrypto.so.3", "libcrypto.so", "libcrypto.3.dylib", "libcrypto-3-x64.dll"];

    static LibCrypto()
    {
        NativeLibrary.SetDllImportResolver(typeof(LibCrypto).Assembly, Resolve);
    }

    /// <summary>Forces the resolver's registration before the first call (static constructors run lazily).</summary>
    public static bool IsAvailable()
    {
        foreach (var name in Candidates)
            if (NativeLibrary.TryLoad(name, out _))
                return true;
        return false;
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library)
            return IntPtr.Zero;
        foreach (var candidate in Candidates)
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle))
                return handle;
        throw new DllNotFoundException("X25519 needs OpenSSL 3's libcrypto (libcrypto.so.3), which was not found; use the P-256 suite on this platform.");
    }

    [LibraryImport(Library)]
    public static unsafe partial IntPtr EVP_PKEY_new_raw_private_key(int type, IntPtr engine, byte* key, nuint keyLength);

    [LibraryImport(Library)]
    public static unsafe partial IntPtr EVP_PKEY_new_raw_public_key(int type, IntPtr engine, byte* key, nuint keyLength);

    [LibraryImport(Library)]
    public static unsafe partial int EVP_PKEY_get_raw_public_key(IntPtr pkey, byte* key, nuint* keyLength);

    [LibraryImport(Library)]
    public static partial void EVP_PKEY_free(IntPtr pkey);

    [LibraryImport(Library)]
    public static partial IntPtr EVP_PKEY_CTX_new(IntPtr pkey, IntPtr engine);

    [LibraryImport(Library)]
    public static partial void EVP_PKEY_CTX_free(IntPtr context);

    [LibraryImport(Library)]
    public static partial int EVP_PKEY_derive_init(IntPtr context);

    [LibraryImport(Library)]
    public static partial int EVP_PKEY_derive_set_peer(IntPtr context, IntPtr peer);

    [LibraryImport(Library)]
    public static unsafe partial int EVP_PKEY_derive(IntPtr context, byte* key, nuint* keyLength);

    [LibraryImport(Library)]
    public static partial int EVP_PKEY_derive_set_peer_ex(IntPtr context, IntPtr peer, int validatePeer);

    [LibraryImport(Library)]
    public static unsafe partial int EVP_PKEY_set1_encoded_public_key(IntPtr pkey, byte* publicKey, nuint length);

    [LibraryImport(Library)]
    public static partial void ERR_clear_error();
}
