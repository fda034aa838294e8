namespace Candor.Vdaf.Flp;

/// <summary>
/// A non-affine sub-circuit G of a validity circuit (VDAF-08, section 7.3.2). The prover evaluates it on
/// wire polynomials to build the gadget polynomial; the verifier evaluates it on field elements to
/// check that polynomial at a random point.
/// </summary>
internal abstract class Gadget<T> where T : unmanaged, IFftField<T>
{
    /// <summary>Number of input wires.</summary>
    public abstract int Arity { get; }

    /// <summary>Arithmetic degree of the polynomial it computes.</summary>
    public abstract int Degree { get; }

    public abstract T Evaluate(ReadOnlySpan<T> inputs);

    /// <summary>
    /// Evaluates the gadget in the polynomial ring: <paramref name="inputs"/> holds <see cref="Arity"/>
    /// polynomials of <paramref name="length"/> coefficients each, end to end; <paramref name="output"/>
    /// receives Degree * (length - 1) + 1 coefficients (overwritten).
    /// </summary>
    public abstract void EvaluatePolynomial(ReadOnlySpan<T> inputs, int length, Span<T> output);

    protected void CheckArity(ReadOnlySpan<T> inputs)
    {
        if (inputs.Length != Arity)
            throw new ArgumentException($"{GetType().Name} takes {Arity} inputs, not {inputs.Length}");
    }
}

/// <summary>Mul(x, y) = x * y: arity 2, degree 2.</summary>
internal sealed class MulGadget<T> : Gadget<T> where T : unmanaged, IFftField<T>
{
    public override int Arity => 2;
    public override int Degree => 2;

    public override T Evaluate(ReadOnlySpan<T> inputs)
    {
        CheckArity(inputs);
        return inputs[0] * inputs[1];
    }

    public override void EvaluatePolynomial(ReadOnlySpan<T> inputs, int length, Span<T> output)
    {
        output[..(2 * length - 1)].Clear();
        Polynomial.MultiplyAdd(inputs[..length], inputs.Slice(length, length), output);
    }
}

/// <summary>Range2(x) = x^2 - x, zero exactly on {0, 1}: arity 1, degree 2 (Prio3Sum in draft 08).</summary>
internal sealed class Range2Gadget<T> : Gadget<T> where T : unmanaged, IFftField<T>
{
    public override int Arity => 1;
    public override int Degree => 2;

    public override T Evaluate(ReadOnlySpan<T> inputs)
    {
        CheckArity(inputs);
        return inputs[0] * inputs[0] - inputs[0];
    }

    public override void EvaluatePolynomial(ReadOnlySpan<T> inputs, int length, Span<T> output)
    {
        var x = inputs[..length];
        output[..(2 * length - 1)].Clear();
        Polynomial.MultiplyAdd(x, x, output);
        for (var i = 0; i < length; i++)
            output[i] -= x[i];
    }
}

/// <summary>PolyEval(x) = p(x) for a fixed polynomial p with integer coefficients: arity 1, degree deg(p).</summary>
internal sealed class PolyEvalGadget<T> : Gadget<T> where T : unmanaged, IFftField<T>
{
    private readonly T[] coefficients;

    /// <param name="coefficients">Lowest degree first; negative values are taken modulo p. Trailing zeros are dropped.</param>
    public PolyEvalGadget(IReadOnlyList<long> coefficients)
    {
        var last = coefficients.Count - 1;
        while (last >= 0 && coefficients[last] == 0)
            last--;
        if (last < 0)
            throw new ArgumentException("PolyEval needs a non-zero polynomial", nameof(coefficients));
        this.coefficients = coefficients.Take(last + 1)
            .Select(c => c >= 0 ? T.FromInteger((ulong)c) : -T.FromInteger((ulong)(-c))).ToArray();
    }

    public override int Arity => 1;
    public override int Degree => coefficients.Length - 1;

    public override T Evaluate(ReadOnlySpan<T> inputs)
    {
        CheckArity(inputs);
        return Polynomial.Evaluate<T>(coefficients, inputs[0]);
    }

    public override void EvaluatePolynomial(ReadOnlySpan<T> inputs, int length, Span<T> output)
    {
        var x = inputs[..length];
        var outputLength = Degree * (length - 1) + 1;
        output[..outputLength].Clear();
        output[0] = coefficients[0];
        // power holds x^i; each step multiplies it by x once more.
        var power = new T[outputLength];
        var next = new T[outputLength];
        x.CopyTo(power);
        var powerLength = length;
        for (var i = 1; i < coefficients.Length; i++)
        {
            for (var j = 0; j < powerLength; j++)
                output[j] += coefficients[i] * power[j];
            if (i + 1 < coefficients.Length)
            {
                Array.Clear(next);
                Polynomial.MultiplyAdd(power.AsSpan(0, powerLength), x, next);
                (power, next) = (next, power);
                powerLength += length - 1;
            }
        }
    }
}

/// <summary>
/// ParallelSum(subcircuit, count): the sum of count copies of a subcircuit over consecutive slices of
/// its inputs (VDAF-08, section 7.4.3). Only this gadget is recorded by the FLP, which shrinks the
/// proof from O(n) to about O(sqrt n) for circuits that add up many identical checks.
/// </summary>
internal sealed class ParallelSumGadget<T>(Gadget<T> subcircuit, int count) : Gadget<T> where T : unmanaged, IFftField<T>
{
    public override int Arity { get; } = count > 0 ? subcircuit.Arity * count : throw new ArgumentOutOfRangeException(nameof(count));
    public override int Degree => subcircuit.Degree;

    public override T Evaluate(ReadOnlySpan<T> inputs)
    {
        CheckArity(inputs);
        var sum = T.Zero;
        var arity = subcircuit.Arity;
        for (var i = 0; i < count; i++)
            sum += subcircuit.Evaluate(inputs.Slice(i * arity, arity));
        return sum;
    }

    public override void EvaluatePolynomial(ReadOnlySpan<T> inputs, int length, Span<T> output)
    {
        var outputLength = Degree * (length - 1) + 1;
        output[..outputLength].Clear();
        var current = new T[outputLength];
        var span = subcircuit.Arity * length;
        for (var i = 0; i < count; i++)
        {
            subcircuit.EvaluatePolynomial(inputs.Slice(i * span, span), length, current);
            for (var j = 0; j < outputLength; j++)
                output[j] += current[j];
        }
    }
}
