using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Candor.Vdaf;

/// <summary>
/// GF(2^64 - 2^32 + 1), VDAF-08's Field64 (Prio3Count). Values are kept canonical in one ulong; the
/// 128-bit product is reduced with the identities 2^64 = 2^32 - 1 and 2^96 = -1 (mod p), so
/// multiplication needs no division and no allocation.
/// </summary>
internal readonly struct Field64 : IFftField<Field64>
{
    private const ulong P = 0xFFFFFFFF00000001;
    private const ulong Epsilon = 0xFFFFFFFF; // 2^64 mod p

    private readonly ulong value;

    private Field64(ulong canonical) => value = canonical;

    public static int EncodedSize => 8;
    public static UInt128 Modulus => P;
    public static Field64 Zero => default;
    public static Field64 One => new(1);
    public static int GeneratorOrderLog2 => 32;
    public static Field64 Generator { get; } = new Field64(7).Pow(4294967295);

    public static Field64 FromInteger(UInt128 value) =>
        value < P ? new((ulong)value) : throw new ArgumentOutOfRangeException(nameof(value), "not below the Field64 modulus");

    public static bool TryRead(ReadOnlySpan<byte> source, out Field64 value)
    {
        var x = BinaryPrimitives.ReadUInt64LittleEndian(source);
        value = new(x);
        return x < P;
    }

    public UInt128 ToInteger() => value;

    public void Write(Span<byte> destination) => BinaryPrimitives.WriteUInt64LittleEndian(destination, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Field64 operator +(Field64 left, Field64 right)
    {
        var sum = left.value + right.value;
        // A carry out of 64 bits or a sum at or above p both mean exactly one p too many.
        if (sum < left.value || sum >= P)
            sum -= P;
        return new(sum);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Field64 operator -(Field64 left, Field64 right)
    {
        var difference = left.value - right.value;
        if (left.value < right.value)
            difference += P;
        return new(difference);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Field64 operator -(Field64 value) => value.value == 0 ? value : new(P - value.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Field64 operator *(Field64 left, Field64 right)
    {
        var high = Math.BigMul(left.value, right.value, out var low);
        return new(Reduce(low, high));
    }

    /// <summary>x = low + 2^64 (hh 2^32 + hl) = low - hh + hl (2^32 - 1) mod p.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Reduce(ulong low, ulong high)
    {
        var highHigh = high >> 32;
        var highLow = high & Epsilon;
        var t0 = low - highHigh;
        if (low < highHigh)
            t0 -= Epsilon; // borrowed 2^64, which is Epsilon mod p; cannot borrow again
        var t1 = highLow * Epsilon;
        var t2 = t0 + t1;
        if (t2 < t1)
            t2 += Epsilon; // carried 2^64 out; cannot carry again
        return t2 >= P ? t2 - P : t2;
    }

    public static bool operator ==(Field64 left, Field64 right) => left.value == right.value;

    public static bool operator !=(Field64 left, Field64 right) => left.value != right.value;

    public Field64 Inverse() => Pow(P - 2);

    public Field64 Pow(UInt128 exponent) => FieldMath.Pow(this, exponent);

    public bool Equals(Field64 other) => value == other.value;

    public override bool Equals(object? obj) => obj is Field64 other && Equals(other);

    public override int GetHashCode() => value.GetHashCode();

    public override string ToString() => value.ToString();
}
