using System.Security.Cryptography;

namespace Candor.Collector.Publishing;

/// <summary>
/// Exact sampler of the discrete Laplace (two-sided geometric) distribution with
/// P[Z = z] = (1 - q) / (1 + q) · q^|z|, q = exp(-epsilon), for a rational epsilon = s / t:
/// Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy" (2020), algorithms 1 and 2.
/// Adding it to a count whose sensitivity is 1 is epsilon-differentially private.
///
/// Why no floating point: a floating-point Laplace sample leaks the value it was added to through the
/// pattern of its low bits (Mironov 2012), and rounding it makes the distribution only approximately
/// what the proof assumes. Here every step is a comparison of integers drawn from
/// <see cref="RandomNumberGenerator"/>, so the output has exactly the stated distribution.
/// </summary>
public sealed class DiscreteLaplace
{
    private readonly long _s, _t;

    // Random bytes are fetched from the CSPRNG 4 KiB at a time: one call per draw would dominate the cost.
    // Each byte is used once; an instance is used by one thread (one per release).
    private readonly byte[] _random = new byte[4096];
    private int _used = 4096;

    /// <param name="epsilonNumerator">s in epsilon = s / t (at least 1).</param>
    /// <param name="epsilonDenominator">t in epsilon = s / t (at least 1).</param>
    public DiscreteLaplace(long epsilonNumerator, long epsilonDenominator)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epsilonNumerator, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(epsilonDenominator, 1);
        // Kept below 2^31 so that t * k in Bernoulli(gamma / k) cannot overflow before k is astronomically unlikely.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(epsilonNumerator, int.MaxValue);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(epsilonDenominator, int.MaxValue);
        _s = epsilonNumerator;
        _t = epsilonDenominator;
    }

    public static DiscreteLaplace For(Rational epsilon) => new(epsilon.Numerator, epsilon.Denominator);

    /// <summary>One draw (CKS algorithm 2, scale t / s).</summary>
    public long Sample()
    {
        while (true)
        {
            long u = Uniform(_t);
            if (!BernoulliExp(u, _t))
                continue;
            long v = 0;
            while (BernoulliExp(1, 1))
                v++;
            long x = u + _t * v; // geometric with parameter 1 - exp(-1/t)
            long y = x / _s;     // geometric with parameter 1 - exp(-s/t)
            bool negative = Uniform(2) == 1;
            if (negative && y == 0)
                continue; // otherwise zero would be drawn twice as often as it should
            return negative ? -y : y;
        }
    }

    /// <summary>Bernoulli(exp(-n/d)) for n, d >= 0 integers (CKS algorithm 1).</summary>
    internal bool BernoulliExp(long n, long d)
    {
        // exp(-gamma) = exp(-1)^floor(gamma) · exp(-(gamma - floor(gamma))).
        for (long i = 0; i < n / d; i++)
            if (!BernoulliExpUnit(1, 1))
                return false;
        return BernoulliExpUnit(n % d, d);
    }

    /// <summary>Bernoulli(exp(-n/d)) for 0 &lt;= n/d &lt;= 1: count k while Bernoulli(gamma / k) succeeds; true when k ends odd.</summary>
    private bool BernoulliExpUnit(long n, long d)
    {
        long k = 1;
        while (Uniform(checked(d * k)) < n)
            k++;
        return k % 2 == 1;
    }

    /// <summary>A uniform integer in [0, bound), by rejection, so no value is favoured by a modulo.</summary>
    internal long Uniform(long bound)
    {
        ulong limit = ulong.MaxValue - (ulong.MaxValue % (ulong)bound + 1) % (ulong)bound;
        while (true)
        {
            if (_used > _random.Length - 8)
            {
                RandomNumberGenerator.Fill(_random);
                _used = 0;
            }
            ulong x = BitConverter.ToUInt64(_random, _used);
            _used += 8;
            if (x <= limit)
                return (long)(x % (ulong)bound);
        }
    }

    /// <summary>The exact probability of <paramref name="z"/> (for tests and documentation; not used to sample).</summary>
    public static double Pmf(double epsilon, long z)
    {
        double q = Math.Exp(-epsilon);
        return (1 - q) / (1 + q) * Math.Pow(q, Math.Abs(z));
    }

    /// <summary>P[Z >= m] for m >= 1: q^m / (1 + q).</summary>
    public static double UpperTail(double epsilon, long m)
    {
        double q = Math.Exp(-epsilon);
        return Math.Pow(q, m) / (1 + q);
    }
}
