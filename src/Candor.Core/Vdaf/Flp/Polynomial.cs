namespace Candor.Vdaf.Flp;

/// <summary>Polynomial helpers over an FFT-friendly field; coefficients are stored lowest degree first.</summary>
internal static class Polynomial
{
    /// <summary>A primitive n-th root of unity, n a power of two: the generator squared down to order n.</summary>
    public static T RootOfUnity<T>(int n) where T : unmanaged, IFftField<T>
    {
        var log2 = System.Numerics.BitOperations.Log2((uint)n);
        if (n <= 0 || (n & (n - 1)) != 0 || log2 > T.GeneratorOrderLog2)
            throw new ArgumentOutOfRangeException(nameof(n), "not a power of two the field's subgroup can hold");
        var root = T.Generator;
        for (var i = log2; i < T.GeneratorOrderLog2; i++)
            root *= root;
        return root;
    }

    public static T Evaluate<T>(ReadOnlySpan<T> coefficients, T x) where T : unmanaged, IFftField<T>
    {
        var result = T.Zero;
        for (var i = coefficients.Length - 1; i >= 0; i--)
            result = result * x + coefficients[i];
        return result;
    }

    /// <summary>
    /// Turns values at root^0 .. root^(n-1) into the coefficients of the unique polynomial of degree
    /// below n through them (an inverse NTT), in place.
    /// </summary>
    public static void Interpolate<T>(Span<T> values, T root, T nInverse) where T : unmanaged, IFftField<T>
    {
        Ntt(values, root.Inverse());
        for (var i = 0; i < values.Length; i++)
            values[i] *= nInverse;
    }

    /// <summary>Iterative radix-2 Cooley-Tukey transform: a[k] = sum_j a[j] root^(jk).</summary>
    private static void Ntt<T>(Span<T> a, T root) where T : unmanaged, IFftField<T>
    {
        var n = a.Length;
        for (int i = 1, j = 0; i < n; i++)
        {
            var bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1)
                j ^= bit;
            j ^= bit;
            if (i < j)
                (a[i], a[j]) = (a[j], a[i]);
        }
        for (var length = 2; length <= n; length <<= 1)
        {
            var step = root;
            for (var size = n; size > length; size >>= 1)
                step *= step;
            var half = length / 2;
            for (var start = 0; start < n; start += length)
            {
                var w = T.One;
                for (var j = 0; j < half; j++)
                {
                    var u = a[start + j];
                    var v = a[start + j + half] * w;
                    a[start + j] = u + v;
                    a[start + j + half] = u - v;
                    w *= step;
                }
            }
        }
    }

    /// <summary>output += p * q, where output has at least |p| + |q| - 1 coefficients.</summary>
    public static void MultiplyAdd<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q, Span<T> output) where T : unmanaged, IFftField<T>
    {
        for (var i = 0; i < p.Length; i++)
        {
            var pi = p[i];
            for (var j = 0; j < q.Length; j++)
                output[i + j] += pi * q[j];
        }
    }
}
