using System.Buffers.Text;

namespace Candor.PrivacyPass;

/// <summary>
/// The <c>PrivateToken</c> HTTP authentication scheme (RFC 9577 2.1 and 2.2): the
/// <c>WWW-Authenticate</c> challenge a server sends and the <c>Authorization</c> credential a client
/// answers with, both carrying base64url values.
/// </summary>
internal static class PrivateTokenHeader
{
    public const string Scheme = "PrivateToken";

    public static string Authorization(PrivateToken token) => $"{Scheme} token=\"{Encode(token.Encode())}\"";

    public static string Challenge(TokenChallenge challenge, RsaPublicKey key) =>
        $"{Scheme} challenge=\"{Encode(challenge.Encoded)}\", token-key=\"{Encode(key.Spki)}\"";

    /// <summary>
    /// base64url with padding: what RFC 9577's examples and the common implementations send, and what
    /// some of them insist on reading (Cloudflare's privacypass-ts refuses unpadded values). Parsing accepts both.
    /// </summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var text = Base64Url.EncodeToString(bytes);
        return (text.Length % 4) switch { 2 => text + "==", 3 => text + "=", _ => text };
    }

    /// <summary>
    /// The token bytes of an <c>Authorization: PrivateToken token=...</c> value; null when the header
    /// uses another scheme, names no token, or its value is not base64url (padded or not).
    /// </summary>
    public static byte[]? ParseAuthorization(string? header)
    {
        if (header is null || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
            || header.Length == Scheme.Length || header[Scheme.Length] != ' ')
            return null;
        var value = Parameter(header.AsSpan(Scheme.Length + 1), "token");
        if (value is null)
            return null;
        var text = value.TrimEnd('=');
        if (text.Length == 0 || text.Length > 4096)
            return null;
        try
        {
            return Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Reads one auth-param (<c>name=value</c> or <c>name="value"</c>) from a comma-separated list.</summary>
    public static string? Parameter(ReadOnlySpan<char> parameters, string name)
    {
        foreach (var range in parameters.Split(','))
        {
            var part = parameters[range].Trim();
            int eq = part.IndexOf('=');
            if (eq <= 0 || !part[..eq].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                continue;
            var value = part[(eq + 1)..].Trim();
            if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
                value = value[1..^1];
            return value.ToString();
        }
        return null;
    }
}
