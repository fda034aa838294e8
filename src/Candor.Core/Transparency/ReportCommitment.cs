using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Candor.Transparency;

/// <summary>
/// A commitment to one report: SHA-256 over a domain label, a fresh 32-byte nonce that never leaves the
/// device until the user asks for deletion, and the report as the collector stores it (app, metric,
/// effective period and the canonical value text of <see cref="Candor.Protocol.ValidatedReport"/>).
/// The nonce is what makes commitments unlinkable: without it, the commitment of a guessed report
/// ("linux", this week) cannot be recomputed, and two commitments from one device share nothing.
/// </summary>
/// <remarks>
/// Byte layout (documented for other implementations in docs/transparency.md):
/// <c>SHA-256("candor report commitment v1" || 0x00 || nonce[32] || app || 0x00 || metric || 0x00 ||
/// period || 0x00 || value)</c>, strings in UTF-8. The zero separators stop ("ab","c") and ("a","bc")
/// hashing alike; none of the fields may contain a zero byte (the collector's validation refuses it).
/// </remarks>
internal static class ReportCommitment
{
    public const int NonceSize = 32;
    public const int Size = 32;

    /// <summary>Length of a commitment or nonce in unpadded base64url, the form used on the wire.</summary>
    public const int EncodedLength = 43;

    private static ReadOnlySpan<byte> Label => "candor report commitment v1"u8;

    /// <summary>A fresh nonce from the system CSPRNG.</summary>
    public static byte[] NewNonce() => RandomNumberGenerator.GetBytes(NonceSize);

    public static byte[] Compute(ReadOnlySpan<byte> nonce, string app, string metric, string period, string value)
    {
        if (nonce.Length != NonceSize)
            throw new ArgumentException($"A commitment nonce is {NonceSize} bytes, not {nonce.Length}.", nameof(nonce));
        foreach (var (name, text) in new[] { ("app", app), ("metric", metric), ("period", period), ("value", value) })
        {
            ArgumentNullException.ThrowIfNull(text, name);
            if (text.Contains('\0'))
                throw new ArgumentException($"The {name} of a committed report cannot contain a zero character.", name);
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Label);
        hash.AppendData([0x00]);
        hash.AppendData(nonce);
        Append(hash, app);
        hash.AppendData([0x00]);
        Append(hash, metric);
        hash.AppendData([0x00]);
        Append(hash, period);
        hash.AppendData([0x00]);
        Append(hash, value);
        return hash.GetHashAndReset();
    }

    /// <summary>Unpadded base64url (RFC 4648 section 5), 43 characters for 32 bytes.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes) => Base64Url.EncodeToString(bytes);

    /// <summary>Reads a 32-byte commitment or nonce in unpadded base64url; false for anything else
    /// (padding, standard base64 characters, another length).</summary>
    public static bool TryDecode(string? text, out byte[] bytes)
    {
        bytes = [];
        if (text is null || text.Length != EncodedLength)
            return false;
        var buffer = new byte[Size];
        if (!Base64Url.IsValid(text) || Base64Url.DecodeFromChars(text, buffer) != Size)
            return false;
        // Reject non-canonical encodings (stray low bits in the last character), so that one commitment
        // has exactly one spelling and a lookup cannot miss or double-count it.
        if (Encode(buffer) != text)
            return false;
        bytes = buffer;
        return true;
    }

    private static void Append(IncrementalHash hash, string text)
    {
        Span<byte> stack = stackalloc byte[256];
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var buffer = max <= stack.Length ? stack : new byte[max];
        var written = Encoding.UTF8.GetBytes(text, buffer);
        hash.AppendData(buffer[..written]);
    }
}
