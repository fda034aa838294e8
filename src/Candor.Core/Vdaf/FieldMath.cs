namespace Candor.Vdaf;

/// <summary>Arithmetic every field shares, written once over <see cref="IFftField{T}"/>.</summary>
internal static class FieldMath
{
    /// <summary><paramref name="value"/> to the power <paramref name="exponent"/>, by square and multiply.</summary>
    public static T Pow<T>(T value, UInt128 exponent) where T : unmanaged, IFftField<T>
    {
        var result = T.One;
        var square = value;
        while (exponent != 0)
        {
            if ((exponent & 1) != 0)
                result *= square;
            square *= square;
            exponent >>= 1;
        }
        return result;
    }
}
