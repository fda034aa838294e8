using System.Buffers;

namespace Candor.Ohttp;

/// <summary>The variable-length integers of RFC 9000, section 16, which Binary HTTP uses for every length.</summary>
internal static class QuicVarint
{
    public const ulong Max = (1UL << 62) - 1;

    public static ulong Read(ref ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
            throw new OhttpFormatException("truncated", "A length or number is cut off.");
        int length = 1 << (input[0] >> 6);
        if (input.Length < length)
            throw new OhttpFormatException("truncated", "A length or number is cut off.");
        ulong value = (ulong)(input[0] & 0x3f);
        for (int i = 1; i < length; i++)
            value = (value << 8) | input[i];
        input = input[length..];
        return value;
    }

    public static void Write(IBufferWriter<byte> output, ulong value)
    {
        if (value > Max)
            throw new ArgumentOutOfRangeException(nameof(value), "Too large for a QUIC variable-length integer.");
        int length = value < 64 ? 1 : value < 16384 ? 2 : value < 1073741824 ? 4 : 8;
        var span = output.GetSpan(length);
        for (int i = length - 1; i >= 0; i--)
        {
            span[i] = (byte)value;
            value >>= 8;
        }
        span[0] |= (byte)((length == 1 ? 0 : length == 2 ? 1 : length == 4 ? 2 : 3) << 6);
        output.Advance(length);
    }

    /// <summary>Reads a varint length and that many bytes, refusing lengths beyond what is left.</summary>
    public static ReadOnlySpan<byte> ReadPrefixed(ref ReadOnlySpan<byte> input)
    {
        ulong length = Read(ref input);
        if (length > (ulong)input.Length)
            throw new OhttpFormatException("truncated", "A length points past the end of the message.");
        var value = input[..(int)length];
        input = input[(int)length..];
        return value;
    }

    public static void WritePrefixed(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        Write(output, (ulong)value.Length);
        output.Write(value);
    }
}
