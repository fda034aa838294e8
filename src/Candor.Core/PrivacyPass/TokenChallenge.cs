using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Candor.PrivacyPass;

/// <summary>
/// RFC 9577 2.1 TokenChallenge: token_type, issuer_name&lt;1..2^16-1&gt;, redemption_context&lt;0..32&gt;,
/// origin_info&lt;0..2^16-1&gt;. Candor's collectors use an empty redemption context, so a client can
/// fetch tokens long before it uploads (the fetch then says nothing about when it will upload).
/// </summary>
internal sealed class TokenChallenge
{
    public const ushort TokenTypeBlindRsa = 0x0002;

    public TokenChallenge(ushort tokenType, string issuerName, byte[] redemptionContext, string originInfo)
    {
        if (string.IsNullOrEmpty(issuerName) || Encoding.UTF8.GetByteCount(issuerName) > ushort.MaxValue)
            throw new ArgumentException("issuer_name must be 1 to 65535 bytes", nameof(issuerName));
        if (redemptionContext.Length is not (0 or 32))
            throw new ArgumentException("redemption_context must be empty or 32 bytes", nameof(redemptionContext));
        TokenType = tokenType;
        IssuerName = issuerName;
        RedemptionContext = redemptionContext;
        OriginInfo = originInfo;
        Encoded = Encode();
        Digest = SHA256.HashData(Encoded);
    }

    public ushort TokenType { get; }
    public string IssuerName { get; }
    public byte[] RedemptionContext { get; }
    public string OriginInfo { get; }
    public byte[] Encoded { get; }

    /// <summary>challenge_digest: SHA-256 of the encoded challenge, carried in every token.</summary>
    public byte[] Digest { get; }

    /// <summary>Parses an encoded challenge; throws <see cref="FormatException"/> if it is not one.</summary>
    public static TokenChallenge Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(bytes);
            int offset = 2;
            int issuerLength = BinaryPrimitives.ReadUInt16BigEndian(bytes[offset..]);
            offset += 2;
            var issuer = Encoding.UTF8.GetString(bytes.Slice(offset, issuerLength));
            offset += issuerLength;
            int contextLength = bytes[offset++];
            var context = bytes.Slice(offset, contextLength).ToArray();
            offset += contextLength;
            int originLength = BinaryPrimitives.ReadUInt16BigEndian(bytes[offset..]);
            offset += 2;
            var origin = Encoding.UTF8.GetString(bytes.Slice(offset, originLength));
            offset += originLength;
            if (offset != bytes.Length)
                throw new FormatException("trailing bytes after the challenge");
            return new TokenChallenge(type, issuer, context, origin);
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException)
        {
            throw new FormatException("malformed TokenChallenge: " + e.Message, e);
        }
    }

    private byte[] Encode()
    {
        var issuer = Encoding.UTF8.GetBytes(IssuerName);
        var origin = Encoding.UTF8.GetBytes(OriginInfo);
        var bytes = new byte[2 + 2 + issuer.Length + 1 + RedemptionContext.Length + 2 + origin.Length];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt16BigEndian(span, TokenType);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)issuer.Length);
        issuer.CopyTo(span[4..]);
        int offset = 4 + issuer.Length;
        span[offset++] = (byte)RedemptionContext.Length;
        RedemptionContext.CopyTo(span[offset..]);
        offset += RedemptionContext.Length;
        BinaryPrimitives.WriteUInt16BigEndian(span[offset..], (ushort)origin.Length);
        origin.CopyTo(span[(offset + 2)..]);
        return bytes;
    }
}
