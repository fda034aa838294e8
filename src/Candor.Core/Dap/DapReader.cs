using System.Buffers.Binary;

namespace Candor.Dap;

/// <summary>
/// Reads the TLS presentation language (RFC 8446, section 3) that DAP messages are written in: big-endian
/// integers and length-prefixed vectors. Every read is bounds-checked, and <see cref="End"/> refuses
/// trailing bytes, so a message decodes to exactly one value or fails with <see cref="DapDecodeException"/>.
/// </summary>
internal ref struct DapReader(ReadOnlySpan<byte> bytes)
{
    private readonly ReadOnlySpan<byte> _bytes = bytes;
    private int _position;

    public readonly int Remaining => _bytes.Length - _position;

    public byte U8() => Take(1)[0];

    public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    public byte[] Fixed(int length) => Take(length).ToArray();

    /// <summary>opaque x&lt;min..2^16-1&gt;.</summary>
    public byte[] Opaque16(int min = 0)
    {
        var length = U16();
        if (length < min)
            throw new DapDecodeException($"a vector of {length} bytes where at least {min} are required");
        return Take(length).ToArray();
    }

    /// <summary>opaque x&lt;min..2^32-1&gt;.</summary>
    public byte[] Opaque32(int min = 0)
    {
        var length = U32();
        if (length < min)
            throw new DapDecodeException($"a vector of {length} bytes where at least {min} are required");
        if (length > Remaining)
            throw new DapDecodeException($"a vector of {length} bytes runs past the end of the message ({Remaining} left)");
        return Take((int)length).ToArray();
    }

    /// <summary>The bytes of a vector with a 2-byte length prefix, for a list of structures read by a nested reader.</summary>
    public ReadOnlySpan<byte> Vector16() => Take(U16());

    /// <summary>The bytes of a vector with a 4-byte length prefix.</summary>
    public ReadOnlySpan<byte> Vector32()
    {
        var length = U32();
        if (length > Remaining)
            throw new DapDecodeException($"a vector of {length} bytes runs past the end of the message ({Remaining} left)");
        return Take((int)length);
    }

    public readonly void End()
    {
        if (Remaining != 0)
            throw new DapDecodeException($"{Remaining} bytes left over after the message");
    }

    private ReadOnlySpan<byte> Take(int length)
    {
        if (length > Remaining)
            throw new DapDecodeException($"the message ends early: {length} bytes needed, {Remaining} left");
        var span = _bytes.Slice(_position, length);
        _position += length;
        return span;
    }
}
