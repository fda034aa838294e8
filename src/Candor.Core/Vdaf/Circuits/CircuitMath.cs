using Candor.Vdaf.Flp;

namespace Candor.Vdaf.Circuits;

/// <summary>Pieces the draft-08 circuits share.</summary>
internal static class CircuitMath<T> where T : unmanaged, IFftField<T>
{
    /// <summary>1 / shares for every share count Prio3 allows ([1, 256)), computed once per field.</summary>
    private static readonly T[] ShareInverses = Enumerable.Range(0, 256)
        .Select(n => n == 0 ? T.Zero : T.FromInteger((ulong)n).Inverse()).ToArray();

    public static T InverseOf(int shares) =>
        shares is >= 1 and < 256 ? ShareInverses[shares] : throw new ArgumentOutOfRangeException(nameof(shares), "Prio3 has 1 to 255 shares");

    /// <summary>2^0 .. 2^(bits-1) as field elements, for bit-vector decoding.</summary>
    public static T[] PowersOfTwo(int bits)
    {
        var powers = new T[bits];
        for (var l = 0; l < bits; l++)
            powers[l] = T.FromInteger(UInt128.One << l);
        return powers;
    }

    public static void EncodeBits(UInt128 value, int bits, Span<T> encoded)
    {
        for (var l = 0; l < bits; l++)
            encoded[l] = (value >> l & 1) == 1 ? T.One : T.Zero;
    }

    public static T DecodeBits(ReadOnlySpan<T> bits, T[] powersOfTwo)
    {
        var value = T.Zero;
        for (var l = 0; l < bits.Length; l++)
            value += powersOfTwo[l] * bits[l];
        return value;
    }

    /// <summary>
    /// sum over calls of ParallelSum(Mul, chunk)( r^k * m_k, m_k - 1/shares ... ): zero when every m_k is
    /// 0 or 1 (summed over the shares), and otherwise non-zero with high probability over r. Elements past
    /// the end of the measurement are zero. Shared by Histogram, SumVec and MultiHotHistogram.
    /// </summary>
    public static T RangeCheck(ReadOnlySpan<T> measurement, T r, int shares, int chunkLength, int calls, IGadgetCalls<T> gadgets)
    {
        var sharesInverse = InverseOf(shares);
        Span<T> inputs = chunkLength <= 64 ? stackalloc T[2 * chunkLength] : new T[2 * chunkLength];
        var sum = T.Zero;
        var rPower = r;
        for (var i = 0; i < calls; i++)
        {
            for (var j = 0; j < chunkLength; j++)
            {
                var index = i * chunkLength + j;
                var element = index < measurement.Length ? measurement[index] : T.Zero;
                inputs[2 * j] = rPower * element;
                inputs[2 * j + 1] = element - sharesInverse;
                rPower *= r;
            }
            sum += gadgets.Call(0, inputs);
        }
        return sum;
    }
}
