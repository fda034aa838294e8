namespace Candor.Vdaf;

/// <summary>
/// A prime field with a large power-of-two multiplicative subgroup (VDAF-08, section 6.1), as an
/// unmanaged struct so that generic FLP and Prio3 code is specialised per field by the JIT and field
/// arithmetic never allocates.
/// </summary>
internal interface IFftField<T> : IEquatable<T> where T : unmanaged, IFftField<T>
{
    /// <summary>Bytes per encoded element (little-endian).</summary>
    static abstract int EncodedSize { get; }

    static abstract UInt128 Modulus { get; }

    static abstract T Zero { get; }

    static abstract T One { get; }

    /// <summary>log2 of the order of <see cref="Generator"/>.</summary>
    static abstract int GeneratorOrderLog2 { get; }

    /// <summary>The generator of the subgroup of order 2^<see cref="GeneratorOrderLog2"/>.</summary>
    static abstract T Generator { get; }

    /// <summary>The element for an integer below the modulus; larger values throw.</summary>
    static abstract T FromInteger(UInt128 value);

    /// <summary>Decodes one little-endian element; false when the integer is not below the modulus.</summary>
    static abstract bool TryRead(ReadOnlySpan<byte> source, out T value);

    static abstract T operator +(T left, T right);

    static abstract T operator -(T left, T right);

    static abstract T operator *(T left, T right);

    static abstract T operator -(T value);

    static abstract bool operator ==(T left, T right);

    static abstract bool operator !=(T left, T right);

    /// <summary>The integer representation (VDAF's <c>as_unsigned</c>).</summary>
    UInt128 ToInteger();

    /// <summary>Writes the little-endian encoding into the first <see cref="EncodedSize"/> bytes.</summary>
    void Write(Span<byte> destination);

    /// <summary>The multiplicative inverse; the inverse of zero is zero (Fermat), callers never ask for it.</summary>
    T Inverse();
}
