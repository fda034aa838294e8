namespace Candor.Vdaf;

/// <summary>
/// VDAF-08's XofTurboShake128 (section 6.2.1): TurboSHAKE128 with D = 1 over
/// len(dst) || dst || seed || binder. The binder may be absorbed in pieces, so callers never
/// concatenate a nonce with an encoded measurement share just to hash it.
/// </summary>
internal sealed class XofTurboShake128
{
    public const int SeedSize = 16;

    private readonly TurboShake128 sponge = new(1);

    public XofTurboShake128(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> dst)
    {
        if (seed.Length != SeedSize)
            throw new ArgumentException($"an XofTurboShake128 seed is {SeedSize} bytes", nameof(seed));
        if (dst.Length > 255)
            throw new ArgumentException("a domain separation tag is at most 255 bytes", nameof(dst));
        sponge.Absorb([(byte)dst.Length]);
        sponge.Absorb(dst);
        sponge.Absorb(seed);
    }

    public XofTurboShake128(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> dst, ReadOnlySpan<byte> binder)
        : this(seed, dst) => sponge.Absorb(binder);

    /// <summary>Appends to the binder string; only before the first output.</summary>
    public void AbsorbBinder(ReadOnlySpan<byte> binderPart) => sponge.Absorb(binderPart);

    public void Next(Span<byte> output) => sponge.Squeeze(output);

    /// <summary>
    /// VDAF's next_vec: rejection sampling of little-endian integers. For Field64 and Field128 the
    /// modulus exceeds half the encoding's range, so the spec's mask is all ones and is omitted.
    /// </summary>
    public void NextVector<T>(Span<T> output) where T : unmanaged, IFftField<T>
    {
        Span<byte> buffer = stackalloc byte[T.EncodedSize];
        for (var i = 0; i < output.Length;)
        {
            sponge.Squeeze(buffer);
            if (T.TryRead(buffer, out var element))
                output[i++] = element;
        }
    }

    public static byte[] DeriveSeed(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> dst, ReadOnlySpan<byte> binder)
    {
        var output = new byte[SeedSize];
        new XofTurboShake128(seed, dst, binder).Next(output);
        return output;
    }

    public static T[] ExpandIntoVector<T>(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> dst, ReadOnlySpan<byte> binder, int length)
        where T : unmanaged, IFftField<T>
    {
        var output = new T[length];
        new XofTurboShake128(seed, dst, binder).NextVector<T>(output);
        return output;
    }
}
