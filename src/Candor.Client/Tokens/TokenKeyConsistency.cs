using System.Buffers.Text;
using System.Text.Json;

namespace Candor.Client.Tokens;

/// <summary>
/// Whether the token key a collector's challenge names is one every device gets (RFC 9576, section 6.2;
/// docs/privacy.md, "Anonymous tokens"). A challenge alone proves nothing: a hostile front could hand
/// each challenge fetch its own fresh RSA key, and every token would then be recognisable when redeemed
/// (its key id is in the token) as the issuance it came from: that address at that time. So the key is
/// taken only when it is byte for byte the <em>current</em> key of the issuer directory fetched by the
/// consistency route (the relay's shared cache with <c>ohttp</c>), and that directory lists at most two
/// keys (current and previous; more could be a key per group of devices).
/// </summary>
internal static class TokenKeyConsistency
{
    /// <summary>The directory's issuer-request-uri and its current key (SubjectPublicKeyInfo), or why it is refused.</summary>
    public static (string? RequestUri, byte[]? CurrentKey, string? Refusal) ReadDirectory(JsonElement directory)
    {
        var keys = new List<(long NotBefore, byte[] Spki)>();
        if (directory.TryGetProperty("token-keys", out var list) && list.ValueKind == JsonValueKind.Array)
            foreach (var entry in list.EnumerateArray())
                if (entry.TryGetProperty("token-type", out var type) && type.TryGetInt32(out int t) && t == Candor.PrivacyPass.TokenChallenge.TokenTypeBlindRsa
                    && entry.TryGetProperty("token-key", out var key) && key.ValueKind == JsonValueKind.String)
                    keys.Add((entry.TryGetProperty("not-before", out var nb) && nb.TryGetInt64(out long n) ? n : 0,
                        Base64Url.DecodeFromChars(key.GetString()!.TrimEnd('='))));
        var uri = directory.TryGetProperty("issuer-request-uri", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
        if (keys.Count == 0)
            return (uri, null, "The issuer directory lists no token key; no tokens were fetched.");
        if (keys.Count > 2)
            return (uri, null, $"The issuer directory lists {keys.Count} token keys; a consistent issuer lists its current and previous key only, " +
                "so more could be keys for groups of devices. No tokens were fetched.");
        return (uri, keys.MaxBy(k => k.NotBefore).Spki, null);
    }

    /// <summary>Null when the challenge's key is the directory's current key; otherwise the sentence for the device's log.</summary>
    public static string? CheckChallengeKey(byte[] challengeKey, byte[] currentKey) =>
        challengeKey.AsSpan().SequenceEqual(currentKey) ? null
            : "The collector's token challenge names a token key that is not the issuer directory's current key (as every device gets it through the " +
              "consistency route); it could be a key made for this device, so no tokens were fetched.";

    /// <summary>
    /// Null unless the directory's current key is one this device saw replaced by a newer current key: an
    /// issuer going back to an old key could sort devices by whether they fetched tokens in between (as a
    /// gateway alternating key sets could), so the old key is never taken again, also after a restart.
    /// </summary>
    public static string? CheckNotReplaced(bool replacedBefore) =>
        replacedBefore
            ? "The issuer directory's current token key is one this device saw replaced by a newer key; an issuer that goes back to an old key " +
              "can sort devices by when they fetched, so no tokens were fetched."
            : null;
}

/// <summary>The challenge's token key or the issuer directory failed the consistency check; nothing was fetched. The message says why.</summary>
internal sealed class TokenKeyInconsistentException(string message) : HttpRequestException(message);
