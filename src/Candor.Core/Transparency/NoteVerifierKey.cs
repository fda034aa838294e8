using System.Globalization;

namespace Candor.Transparency;

/// <summary>
/// The C2SP signed-note verifier key text, <c>name+hexkeyid+base64(type || public key)</c>, for Candor's
/// ECDSA P-256 log keys: type 0x02, the public key in SPKI DER form, the key ID its first four SHA-256
/// bytes (<see cref="EcdsaNoteKey"/>). This one line is what an app ships to trust a collector's log.
/// </summary>
internal static class NoteVerifierKey
{
    public const byte EcdsaType = 0x02;

    public static string Format(EcdsaNoteKey key) =>
        $"{key.Name}+{key.KeyId:x8}+{Convert.ToBase64String([EcdsaType, .. key.SubjectPublicKeyInfo])}";

    /// <summary>Reads a verifier key; false with a one-line reason for anything else (another type, a key ID
    /// that does not match the key, a name with spaces or '+').</summary>
    public static bool TryParse(string text, out EcdsaNoteKey? key, out string reason)
    {
        key = null;
        var parts = text.Trim().Split('+', 3); // base64 may contain '+': only the first two separate
        if (parts.Length != 3 || parts[0].Length == 0 || parts[0].Any(c => c <= ' '))
            return Fail("a verifier key is name+keyid+key, with no spaces in the name", out reason);
        if (parts[1].Length != 8 || !uint.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var id))
            return Fail($"the key ID '{parts[1]}' is not 8 hex digits", out reason);
        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException)
        {
            return Fail("the key is not base64", out reason);
        }
        if (blob.Length < 2 || blob[0] != EcdsaType)
            return Fail($"the key type is {(blob.Length == 0 ? "missing" : $"0x{blob[0]:x2}")}; Candor log keys are ECDSA P-256 (0x02)", out reason);
        try
        {
            key = EcdsaNoteKey.ForVerifying(parts[0], blob[1..]);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return Fail("the key is not an ECDSA P-256 public key: " + e.Message, out reason);
        }
        if (key.KeyId != id)
        {
            var expected = key.KeyId;
            key = null;
            return Fail($"the key ID {parts[1]} does not match the key ({expected:x8} expected)", out reason);
        }
        reason = "";
        return true;
    }

    private static bool Fail(string why, out string reason)
    {
        reason = why;
        return false;
    }
}
