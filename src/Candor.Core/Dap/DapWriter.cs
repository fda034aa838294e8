using System.Buffers;
using System.Buffers.Binary;

namespace Candor.Dap;

/// <summary>Writes the TLS presentation language; a vector's length prefix is patched in once its contents are written.</summary>
internal sealed class DapWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public DapWriter U8(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
        return this;
    }

    public DapWriter U16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
        return this;
    }

    public DapWriter U32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    public DapWriter U64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    public DapWriter Fixed(ReadOnlySpan<byte> bytes)
    {
        _buffer.Write(bytes);
        return this;
    }

    public DapWriter Opaque16(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > ushort.MaxValue)
            throw new ArgumentException($"{bytes.Length} bytes do not fit a 2-byte length prefix", nameof(bytes));
        return U16((ushort)bytes.Length).Fixed(bytes);
    }

    public DapWriter Opaque32(ReadOnlySpan<byte> bytes) => U32((uint)bytes.Length).Fixed(bytes);

    /// <summary>A vector of structures with a 2-byte length prefix.</summary>
    public DapWriter Vector16(Action<DapWriter> contents)
    {
        var start = _buffer.WrittenCount;
        U16(0);
        contents(this);
        var length = _buffer.WrittenCount - start - 2;
        if (length > ushort.MaxValue)
            throw new ArgumentException($"{length} bytes do not fit a 2-byte length prefix");
        BinaryPrimitives.WriteUInt16BigEndian(WrittenSpan(start, 2), (ushort)length);
        return this;
    }

    /// <summary>A vector of structures with a 4-byte length prefix.</summary>
    public DapWriter Vector32(Action<DapWriter> contents)
    {
        var start = _buffer.WrittenCount;
        U32(0);
        contents(this);
        BinaryPrimitives.WriteUInt32BigEndian(WrittenSpan(start, 4), (uint)(_buffer.WrittenCount - start - 4));
        return this;
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    private Span<byte> WrittenSpan(int start, int length) =>
        System.Runtime.InteropServices.MemoryMarshal.CreateSpan(
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(_buffer.WrittenSpan.Slice(start, length)), length);
}
