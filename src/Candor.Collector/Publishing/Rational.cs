using System.Globalization;
using System.Numerics;

namespace Candor.Collector.Publishing;

/// <summary>
/// A positive fraction, so that an epsilon written as "0.5" in settings reaches the noise sampler as
/// exactly 1/2 (<see cref="DiscreteLaplace"/> takes no floating point).
/// </summary>
public readonly record struct Rational(long Numerator, long Denominator)
{
    /// <summary>The exact value of a decimal setting (0.25 is 1/4), reduced.</summary>
    public static Rational From(decimal value)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(nameof(value), "must be positive");
        long den = 1;
        while (value != decimal.Truncate(value))
        {
            value *= 10;
            den *= 10;
        }
        return Reduce((long)value, den);
    }

    public Rational DividedBy(long n) => Reduce(Numerator, checked(Denominator * n));

    public Rational Times(long n) => Reduce(checked(Numerator * n), Denominator);

    private static Rational Reduce(long n, long d)
    {
        long g = (long)BigInteger.GreatestCommonDivisor(n, d);
        return new(n / g, d / g);
    }

    public double ToDouble() => (double)Numerator / Denominator;

    public decimal ToDecimal() => (decimal)Numerator / Denominator;

    /// <summary>"1", "0.5", or "1/6" when the decimal form would not be exact.</summary>
    public override string ToString()
    {
        long d = Denominator;
        while (d % 2 == 0) d /= 2;
        while (d % 5 == 0) d /= 5;
        return d == 1
            ? ((decimal)Numerator / Denominator).ToString(CultureInfo.InvariantCulture)
            : $"{Numerator}/{Denominator}";
    }
}
