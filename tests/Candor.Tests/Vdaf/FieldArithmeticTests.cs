using System.Numerics;
using Candor.Vdaf;

namespace Candor.Tests.Vdaf;

/// <summary>Field64 and Field128 against BigInteger arithmetic, on edge values and seeded random ones.</summary>
public sealed class FieldArithmeticTests
{
    [Fact]
    public void Field64_agrees_with_big_integer_arithmetic() => Agree<Field64>(seed: 64);

    [Fact]
    public void Field128_agrees_with_big_integer_arithmetic() => Agree<Field128>(seed: 128);

    [Fact]
    public void The_generators_have_exactly_the_stated_power_of_two_order()
    {
        Order<Field64>();
        Order<Field128>();

        static void Order<T>() where T : unmanaged, IFftField<T>
        {
            var x = T.Generator;
            for (var i = 1; i < T.GeneratorOrderLog2; i++)
                x *= x;
            Assert.Equal(-T.One, x); // g^(2^(k-1)) = -1, so the order is 2^k and not less
            Assert.Equal(T.One, x * x);
        }
    }

    [Fact]
    public void Decoding_refuses_integers_at_or_above_the_modulus()
    {
        Refuses<Field64>();
        Refuses<Field128>();

        static void Refuses<T>() where T : unmanaged, IFftField<T>
        {
            var bytes = new byte[T.EncodedSize];
            Write(T.Modulus, bytes);
            Assert.False(T.TryRead(bytes, out _));
            Write(T.Modulus - 1, bytes);
            Assert.True(T.TryRead(bytes, out var top));
            Assert.Equal(T.Modulus - 1, top.ToInteger());
            Assert.Throws<ArgumentOutOfRangeException>(() => T.FromInteger(T.Modulus));
        }

        static void Write(UInt128 value, byte[] bytes)
        {
            for (var i = 0; i < bytes.Length; i++)
                bytes[i] = (byte)(value >> (8 * i));
        }
    }

    private static void Agree<T>(int seed) where T : unmanaged, IFftField<T>
    {
        var p = (BigInteger)T.Modulus;
        var random = new Random(seed);
        var values = new List<BigInteger> { 0, 1, 2, p - 1, p - 2, p / 2, (BigInteger)ulong.MaxValue % p, BigInteger.Pow(2, 64) % p, BigInteger.Pow(2, 96) % p };
        var buffer = new byte[T.EncodedSize + 1];
        for (var i = 0; i < 200; i++)
        {
            random.NextBytes(buffer);
            buffer[^1] = 0;
            values.Add(new BigInteger(buffer) % p);
        }
        foreach (var a in values)
        {
            var x = T.FromInteger((UInt128)a);
            Assert.Equal((UInt128)a, x.ToInteger());
            foreach (var b in values.Take(40))
            {
                var y = T.FromInteger((UInt128)b);
                Assert.Equal((UInt128)((a + b) % p), (x + y).ToInteger());
                Assert.Equal((UInt128)(((a - b) % p + p) % p), (x - y).ToInteger());
                Assert.Equal((UInt128)(a * b % p), (x * y).ToInteger());
            }
            Assert.Equal((UInt128)((p - a) % p), (-x).ToInteger());
            if (a != 0)
                Assert.Equal(T.One, x * x.Inverse());
        }
    }
}
