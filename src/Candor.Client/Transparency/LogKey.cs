using System.Globalization;
using System.Security.Cryptography;
using Candor.Transparency;

namespace Candor.Client.Transparency;

/// <summary>
/// A log verifier key in the C2SP vkey form the collector serves at <c>/v1/log/key</c>:
/// <c>&lt;name&gt;+&lt;key ID, 8 hex digits&gt;+&lt;base64(0x02 || public key, SPKI DER)&gt;</c>, signature type
/// 0x02 being ECDSA P-256 (<see cref="EcdsaNoteKey"/>). The key ID is checked against the key, so a key
/// copied with a typo is refused instead of failing every checkpoint later.
/// </summary>
internal static class LogKey
{
    public static bool TryParse(string text, out EcdsaNoteKey? key, out string reason)
    {
        key = null;
        text = text.Trim();
        // The key data is base64, which may itself contain '+': only the first two separate fields.
        var first = text.IndexOf('+');
        var second = first < 0 ? -1 : text.IndexOf('+', first + 1);
        if (first <= 0 || second < 0)
            return Fail("a log key looks like name+0123abcd+base64 (C2SP vkey form)", out reason);
        var name = text[..first];
        var id = text[(first + 1)..second];
        if (id.Length != 8 || !uint.TryParse(id, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var keyId))
            return Fail($"the key ID '{id}' is not 8 hexadecimal digits", out reason);
        byte[] data;
        try { data = Convert.FromBase64String(text[(second + 1)..]); }
        catch (FormatException) { return Fail("the key data is not base64", out reason); }
        if (data.Length < 2 || data[0] != 0x02)
            return Fail("only ECDSA P-256 keys (signature type 0x02) are supported", out reason);
        try
        {
            key = EcdsaNoteKey.ForVerifying(name, data[1..]);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            return Fail("the key data is not a P-256 public key", out reason);
        }
        if (key.KeyId != keyId)
        {
            var expected = key.KeyId;
            key = null;
            return Fail($"the key ID {id} does not match the key (its ID is {expected:x8})", out reason);
        }
        reason = "";
        return true;
    }

    /// <summary>The vkey text of a P-256 note key (for tests and for showing the key trusted on first use).</summary>
    public static string Format(string name, ECDsa publicKey)
    {
        var spki = publicKey.ExportSubjectPublicKeyInfo();
        var key = EcdsaNoteKey.ForVerifying(name, spki);
        return $"{name}+{key.KeyId:x8}+{Convert.ToBase64String([0x02, .. spki])}";
    }

    private static bool Fail(string why, out string reason)
    {
        reason = why;
        return false;
    }
}
