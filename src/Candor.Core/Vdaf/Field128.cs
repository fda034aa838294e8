using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Candor.Vdaf;

/// <summary>
/// GF(2^66 * 4611686018427387897 + 1) = GF(2^128 - 28 * 2^64 + 1), VDAF-08's Field128 (Prio3Sum,
/// SumVec, Histogram). Elements are held in Montgomery form (x * 2^128 mod p) so a product is two
/// rounds of 64-bit multiply-and-reduce with no division; p = 1 (mod 2^64) makes each round's
/// Montgomery factor just the negated low word.
/// </summary>
internal readonly struct Field128 : IFftField<Field128>
{
    private static readonly UInt128 P = new(P1, 1);
    private const ulong P1 = 0xFFFFFFFFFFFFFFE4; // high word of p; the low word is 1

    /// <summary>2^256 mod p, to enter Montgomery form with one multiplication.</summary>
    private static readonly Field128 R2 = new((UInt128)(BigInteger.Pow(2, 256) % (BigInteger)P));

    private readonly UInt128 montgomery;

    private Field128(UInt128 montgomeryForm) => montgomery = montgomeryForm;

    public static int EncodedSize => 16;
    public static UInt128 Modulus => P;
    public static Field128 Zero => default;
    public static Field128 One { get; } = FromInteger(1);
    public static int GeneratorOrderLog2 => 66;
    public static Field128 Generator { get; } = FromInteger(7).Pow(4611686018427387897);

    public static Field128 FromInteger(UInt128 value) =>
        value < P ? Mul(new Field128(value), R2) : throw new ArgumentOutOfRangeException(nameof(value), "not below the Field128 modulus");

    public static bool TryRead(ReadOnlySpan<byte> source, out Field128 value)
    {
        var x = BinaryPrimitives.ReadUInt128LittleEndian(source);
        if (x >= P)
        {
            value = default;
            return false;
        }
        value = Mul(new Field128(x), R2);
        return true;
    }

    /// <summary>Leaves Montgomery form: x * 2^128 * 1 * 2^-128.</summary>
    public UInt128 ToInteger() => Mul(this, new Field128(1)).montgomery;

    public void Write(Span<byte> destination) => BinaryPrimitives.WriteUInt128LittleEndian(destination, ToInteger());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Field128 operator +(Field128 left, Field128 right)
    {
        var sum = left.montgomery + right.montgomery;
        // Both are below p < 2^128: a wrap past 2^128 or a sum at or above p means one p too many.
        if (sum < left.montgomery || sum >= P)
            sum -= P;
        return new(sum);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Field128 operator -(Field128 left, Field128 right)
    {
        var difference = left.montgomery - right.montgomery;
        if (left.montgomery < right.montgomery)
            difference += P;
        return new(difference);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Field128 operator -(Field128 value) => value.montgomery == 0 ? value : new(P - value.montgomery);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Field128 operator *(Field128 left, Field128 right) => Mul(left, right);

    /// <summary>Montgomery product a * b * 2^-128 mod p (CIOS with two 64-bit words).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Field128 Mul(Field128 left, Field128 right)
    {
        var a0 = (ulong)left.montgomery;
        var a1 = (ulong)(left.montgomery >> 64);
        var b0 = (ulong)right.montgomery;
        var b1 = (ulong)(right.montgomery >> 64);

        // Word 0 of b.
        ulong carry = 0;
        var t0 = MulAdd(a0, b0, 0, ref carry);
        var t1 = MulAdd(a1, b0, 0, ref carry);
        var t2 = carry;
        // m = t0 * (-p^-1 mod 2^64) = -t0 because p = 1 mod 2^64; t0 + m * 1 carries 1 unless t0 = 0.
        var m = 0 - t0;
        carry = t0 != 0 ? 1UL : 0UL;
        t0 = MulAdd(m, P1, t1, ref carry);
        t1 = t2 + carry;
        var t3 = t1 < carry ? 1UL : 0UL;

        // Word 1 of b. The running value stays below 2p + p * 2^64 < 2^192, so t2 cannot overflow.
        carry = 0;
        t0 = MulAdd(a0, b1, t0, ref carry);
        t1 = MulAdd(a1, b1, t1, ref carry);
        t2 = t3 + carry;
        m = 0 - t0;
        carry = t0 != 0 ? 1UL : 0UL;
        t0 = MulAdd(m, P1, t1, ref carry);
        t1 = t2 + carry;
        t3 = t1 < carry ? 1UL : 0UL;

        // The result is below 2p: subtract p once when it is at or above p (t3 is its 129th bit).
        var result = new UInt128(t1, t0);
        if (t3 != 0 || result >= P)
            result -= P;
        return new(result);
    }

    /// <summary>a * b + c + carry, returning the low word and leaving the high word in carry (never overflows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong MulAdd(ulong a, ulong b, ulong c, ref ulong carry)
    {
        var high = Math.BigMul(a, b, out var low);
        low += c;
        if (low < c)
            high++;
        low += carry;
        if (low < carry)
            high++;
        carry = high;
        return low;
    }

    public static bool operator ==(Field128 left, Field128 right) => left.montgomery == right.montgomery;

    public static bool operator !=(Field128 left, Field128 right) => left.montgomery != right.montgomery;

    public Field128 Inverse() => Pow(P - 2);

    public Field128 Pow(UInt128 exponent) => FieldMath.Pow(this, exponent);

    public bool Equals(Field128 other) => montgomery == other.montgomery;

    public override bool Equals(object? obj) => obj is Field128 other && Equals(other);

    public override int GetHashCode() => montgomery.GetHashCode();

    public override string ToString() => ToInteger().ToString();
}
