using System.Buffers.Binary;

namespace Candor.PrivacyPass;

/// <summary>
/// RFC 9577 2.2 / RFC 9578 6.4 Token for type 0x0002: token_type, nonce[32], challenge_digest[32],
/// token_key_id[32], authenticator[Nk]. The authenticator is an RSABSSA-SHA384-PSS-Deterministic
/// signature over the token authenticator input (everything before it).
/// </summary>
internal sealed class PrivateToken
{
    public const int NonceLength = 32;
    public const int DigestLength = 32;
    public const int KeyIdLength = 32;
    public const int InputLength = 2 + NonceLength + DigestLength + KeyIdLength;

    public PrivateToken(ushort tokenType, byte[] nonce, byte[] challengeDigest, byte[] tokenKeyId, byte[] authenticator)
    {
        if (nonce.Length != NonceLength || challengeDigest.Length != DigestLength || tokenKeyId.Length != KeyIdLength)
            throw new ArgumentException("nonce, challenge_digest and token_key_id are 32 bytes each");
        TokenType = tokenType;
        Nonce = nonce;
        ChallengeDigest = challengeDigest;
        TokenKeyId = tokenKeyId;
        Authenticator = authenticator;
    }

    public ushort TokenType { get; }
    public byte[] Nonce { get; }
    public byte[] ChallengeDigest { get; }
    public byte[] TokenKeyId { get; }
    public byte[] Authenticator { get; }

    /// <summary>The token authenticator input (RFC 9577 2.2): the signed part of the token.</summary>
    public byte[] AuthenticatorInput => AuthenticatorInputFor(TokenType, Nonce, ChallengeDigest, TokenKeyId);

    public static byte[] AuthenticatorInputFor(ushort tokenType, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> challengeDigest, ReadOnlySpan<byte> tokenKeyId)
    {
        var input = new byte[InputLength];
        BinaryPrimitives.WriteUInt16BigEndian(input, tokenType);
        nonce.CopyTo(input.AsSpan(2));
        challengeDigest.CopyTo(input.AsSpan(2 + NonceLength));
        tokenKeyId.CopyTo(input.AsSpan(2 + NonceLength + DigestLength));
        return input;
    }

    public byte[] Encode()
    {
        var bytes = new byte[InputLength + Authenticator.Length];
        AuthenticatorInput.CopyTo(bytes, 0);
        Authenticator.CopyTo(bytes, InputLength);
        return bytes;
    }

    /// <summary>
    /// Parses a type 0x0002 token whose authenticator is <paramref name="authenticatorLength"/> bytes
    /// (Nk, 256 for 2048-bit keys). Throws <see cref="FormatException"/> for a wrong type or length.
    /// </summary>
    public static PrivateToken Decode(ReadOnlySpan<byte> bytes, int authenticatorLength = 256)
    {
        if (bytes.Length != InputLength + authenticatorLength)
            throw new FormatException($"a type 0x0002 token is {InputLength + authenticatorLength} bytes, this one is {bytes.Length}");
        var type = BinaryPrimitives.ReadUInt16BigEndian(bytes);
        if (type != TokenChallenge.TokenTypeBlindRsa)
            throw new FormatException($"token type 0x{type:x4} is not supported (only 0x0002)");
        return new PrivateToken(type,
            bytes.Slice(2, NonceLength).ToArray(),
            bytes.Slice(2 + NonceLength, DigestLength).ToArray(),
            bytes.Slice(2 + NonceLength + DigestLength, KeyIdLength).ToArray(),
            bytes[InputLength..].ToArray());
    }
}
