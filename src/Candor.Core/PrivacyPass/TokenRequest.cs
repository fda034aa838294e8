using System.Buffers.Binary;

namespace Candor.PrivacyPass;

/// <summary>RFC 9578 6.1 TokenRequest: token_type (0x0002), truncated_token_key_id (last byte of the key id), blinded_msg[Nk].</summary>
internal sealed record TokenRequest(ushort TokenType, byte TruncatedTokenKeyId, byte[] BlindedMessage)
{
    public byte[] Encode()
    {
        var bytes = new byte[3 + BlindedMessage.Length];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, TokenType);
        bytes[2] = TruncatedTokenKeyId;
        BlindedMessage.CopyTo(bytes, 3);
        return bytes;
    }

    /// <summary>Throws <see cref="FormatException"/> unless this is a type 0x0002 request with an Nk-byte blinded message.</summary>
    public static TokenRequest Decode(ReadOnlySpan<byte> bytes, int modulusBytes = 256)
    {
        if (bytes.Length != 3 + modulusBytes)
            throw new FormatException($"a type 0x0002 token request is {3 + modulusBytes} bytes, this one is {bytes.Length}");
        var type = BinaryPrimitives.ReadUInt16BigEndian(bytes);
        if (type != TokenChallenge.TokenTypeBlindRsa)
            throw new FormatException($"token type 0x{type:x4} is not supported (only 0x0002)");
        return new TokenRequest(type, bytes[2], bytes[3..].ToArray());
    }
}
