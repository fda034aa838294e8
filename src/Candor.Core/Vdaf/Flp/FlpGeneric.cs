using System.Numerics;

namespace Candor.Vdaf.Flp;

/// <summary>
/// VDAF-08's general-purpose fully linear proof (section 7.3, after BBCGGI19 Theorem 4.3) for any
/// validity circuit. The prover interpolates each gadget's input wires over the P-th roots of unity
/// and sends the gadget applied to those wire polynomials; the verifier, holding only shares, reads
/// gadget outputs off that polynomial, so its circuit evaluation is linear in its share, and checks
/// the polynomial's well-formedness at one random point t.
/// </summary>
internal sealed class FlpGeneric<T> where T : unmanaged, IFftField<T>
{
    private readonly ValidityCircuit<T> circuit;
    private readonly GadgetLayout[] layouts;

    public FlpGeneric(ValidityCircuit<T> circuit)
    {
        if (circuit.Gadgets.Count != circuit.GadgetCalls.Count)
            throw new ArgumentException("a circuit names one call count per gadget", nameof(circuit));
        this.circuit = circuit;
        layouts = new GadgetLayout[circuit.Gadgets.Count];
        int proofOffset = 0, verifierOffset = 1;
        for (var i = 0; i < layouts.Length; i++)
        {
            var layout = new GadgetLayout(circuit.Gadgets[i], circuit.GadgetCalls[i], proofOffset, verifierOffset);
            layouts[i] = layout;
            proofOffset += layout.Gadget.Arity + layout.PolynomialLength;
            verifierOffset += layout.Gadget.Arity + 1;
        }
        ProofLength = proofOffset;
        VerifierLength = verifierOffset;
        ProveRandLength = circuit.Gadgets.Sum(g => g.Arity);
    }

    public ValidityCircuit<T> Circuit => circuit;
    public int ProveRandLength { get; }
    public int QueryRandLength => layouts.Length;
    public int JointRandLength => circuit.JointRandLength;
    public int MeasurementLength => circuit.MeasurementLength;
    public int OutputLength => circuit.OutputLength;
    public int ProofLength { get; }
    public int VerifierLength { get; }

    public void Prove(ReadOnlySpan<T> measurement, ReadOnlySpan<T> proveRand, ReadOnlySpan<T> jointRand, Span<T> proof)
    {
        CheckLength(measurement, MeasurementLength, "measurement");
        CheckLength(proveRand, ProveRandLength, "prover randomness");
        CheckLength(jointRand, JointRandLength, "joint randomness");
        CheckLength(proof, ProofLength, "proof");

        var recorder = new WireRecorder(layouts, proveRand, verifying: false);
        circuit.Evaluate(measurement, jointRand, 1, recorder);
        recorder.CheckCalls();

        for (var i = 0; i < layouts.Length; i++)
        {
            var layout = layouts[i];
            var wires = recorder.Wires(i);
            for (var j = 0; j < layout.Gadget.Arity; j++)
                Polynomial.Interpolate(wires.AsSpan(j * layout.P, layout.P), layout.Root, layout.PInverse);
            // Wire seeds (the values at root^0) first, then the gadget polynomial's coefficients.
            var slice = proof.Slice(layout.ProofOffset, layout.Gadget.Arity + layout.PolynomialLength);
            proveRand.Slice(recorder.SeedOffset(i), layout.Gadget.Arity).CopyTo(slice);
            layout.Gadget.EvaluatePolynomial(wires, layout.P, slice[layout.Gadget.Arity..]);
        }
    }

    /// <summary>
    /// Computes this share's verifier message. Throws <see cref="VdafException"/> (Verify) when the query
    /// point is a root of unity the wires were interpolated on: answering would leak a gadget output.
    /// </summary>
    public void Query(ReadOnlySpan<T> measurement, ReadOnlySpan<T> proof, ReadOnlySpan<T> queryRand, ReadOnlySpan<T> jointRand, int shares, Span<T> verifier)
    {
        CheckLength(measurement, MeasurementLength, "measurement");
        CheckLength(proof, ProofLength, "proof");
        CheckLength(queryRand, QueryRandLength, "query randomness");
        CheckLength(jointRand, JointRandLength, "joint randomness");
        CheckLength(verifier, VerifierLength, "verifier");

        var recorder = new WireRecorder(layouts, proof, verifying: true);
        verifier[0] = circuit.Evaluate(measurement, jointRand, shares, recorder);
        recorder.CheckCalls();

        var most = layouts.Max(l => l.Calls) + 1;
        Span<T> basisBuffer = most <= 64 ? stackalloc T[most] : new T[most];
        for (var i = 0; i < layouts.Length; i++)
        {
            var layout = layouts[i];
            var t = queryRand[i];
            var tToP = Pow(t, layout.P);
            if (tToP == T.One)
                throw new VdafException(VdafError.Verify, "the query point is a root of unity of the wire domain; the verifier must abort");

            // Lagrange basis over the P-th roots w^k: L_k(t) = w^k (t^P - 1) / (P (t - w^k)). Only the
            // seed and the recorded calls are non-zero, so only k = 0..calls is needed.
            var used = layout.Calls + 1;
            var basis = basisBuffer[..used];
            for (var k = 0; k < used; k++)
                basis[k] = t - layout.Powers[k];
            BatchInvert(basis);
            var scale = (tToP - T.One) * layout.PInverse;
            for (var k = 0; k < used; k++)
                basis[k] *= layout.Powers[k] * scale;

            var wires = recorder.Wires(i);
            var output = verifier.Slice(layout.VerifierOffset, layout.Gadget.Arity + 1);
            for (var j = 0; j < layout.Gadget.Arity; j++)
            {
                var sum = T.Zero;
                var row = wires.AsSpan(j * layout.P, used);
                for (var k = 0; k < used; k++)
                    sum += row[k] * basis[k];
                output[j] = sum;
            }
            output[layout.Gadget.Arity] = Polynomial.Evaluate(proof.Slice(layout.ProofOffset + layout.Gadget.Arity, layout.PolynomialLength), t);
        }
    }

    /// <summary>Accepts when the circuit output is zero and every gadget polynomial agrees with its gadget at t.</summary>
    public bool Decide(ReadOnlySpan<T> verifier)
    {
        CheckLength(verifier, VerifierLength, "verifier");
        if (verifier[0] != T.Zero)
            return false;
        foreach (var layout in layouts)
        {
            var x = verifier.Slice(layout.VerifierOffset, layout.Gadget.Arity);
            if (layout.Gadget.Evaluate(x) != verifier[layout.VerifierOffset + layout.Gadget.Arity])
                return false;
        }
        return true;
    }

    private static T Pow(T x, int exponent)
    {
        var result = T.One;
        for (; exponent > 0; exponent >>= 1, x *= x)
            if ((exponent & 1) != 0)
                result *= x;
        return result;
    }

    /// <summary>Montgomery's trick: n inverses for one inversion and 3(n - 1) products. No entry may be zero.</summary>
    private static void BatchInvert(Span<T> values)
    {
        Span<T> prefix = values.Length <= 64 ? stackalloc T[values.Length] : new T[values.Length];
        var running = T.One;
        for (var i = 0; i < values.Length; i++)
        {
            prefix[i] = running;
            running *= values[i];
        }
        var inverse = running.Inverse();
        for (var i = values.Length - 1; i >= 0; i--)
        {
            var value = values[i];
            values[i] = inverse * prefix[i];
            inverse *= value;
        }
    }

    private static void CheckLength(ReadOnlySpan<T> span, int expected, string what)
    {
        if (span.Length != expected)
            throw new ArgumentException($"the {what} has {span.Length} elements, not {expected}");
    }

    /// <summary>Per-gadget constants: the wire domain size P, its roots of unity and the proof and verifier offsets.</summary>
    private sealed class GadgetLayout
    {
        public GadgetLayout(Gadget<T> gadget, int calls, int proofOffset, int verifierOffset)
        {
            if (calls < 1)
                throw new ArgumentOutOfRangeException(nameof(calls), "a gadget is called at least once");
            Gadget = gadget;
            Calls = calls;
            P = (int)BitOperations.RoundUpToPowerOf2((uint)(calls + 1));
            PolynomialLength = gadget.Degree * (P - 1) + 1;
            Root = Polynomial.RootOfUnity<T>(P);
            PInverse = T.FromInteger((ulong)P).Inverse();
            Powers = new T[P];
            Powers[0] = T.One;
            for (var k = 1; k < P; k++)
                Powers[k] = Powers[k - 1] * Root;
            ProofOffset = proofOffset;
            VerifierOffset = verifierOffset;
        }

        public Gadget<T> Gadget { get; }
        public int Calls { get; }
        public int P { get; }
        public int PolynomialLength { get; }
        public T Root { get; }
        public T PInverse { get; }
        public T[] Powers { get; }
        public int ProofOffset { get; }
        public int VerifierOffset { get; }
    }

    /// <summary>
    /// Records each gadget's input wires (row j of gadget i: seed, then call 1 .. calls, zero padded to
    /// P). Without gadget polynomials it evaluates the gadget (prover); with them it returns the gadget
    /// polynomial at root^k, which is linear in the proof share (verifier).
    /// </summary>
    private sealed class WireRecorder : IGadgetCalls<T>
    {
        private readonly GadgetLayout[] layouts;
        private readonly T[][] wires;
        private readonly int[] calls;
        private readonly int[] seedOffsets;
        private readonly T[][]? foldedPolynomials;

        /// <param name="source">The prover randomness (prover) or the proof share (verifier).</param>
        public WireRecorder(GadgetLayout[] layouts, ReadOnlySpan<T> source, bool verifying)
        {
            this.layouts = layouts;
            wires = new T[layouts.Length][];
            calls = new int[layouts.Length];
            seedOffsets = new int[layouts.Length];
            if (verifying)
                foldedPolynomials = new T[layouts.Length][];
            var proveRandOffset = 0;
            for (var i = 0; i < layouts.Length; i++)
            {
                var layout = layouts[i];
                var arity = layout.Gadget.Arity;
                // The prover reads wire seeds from its randomness; the verifier from the front of each proof slice.
                seedOffsets[i] = verifying ? layout.ProofOffset : proveRandOffset;
                proveRandOffset += arity;
                wires[i] = new T[arity * layout.P];
                for (var j = 0; j < arity; j++)
                    wires[i][j * layout.P] = source[seedOffsets[i] + j];
                if (verifying)
                {
                    // Only values at P-th roots of unity are needed, where x^P = 1: fold the
                    // coefficients modulo x^P - 1 once, then each call is a degree-(P-1) Horner.
                    var folded = new T[layout.P];
                    var polynomial = source.Slice(layout.ProofOffset + arity, layout.PolynomialLength);
                    for (var c = 0; c < polynomial.Length; c++)
                        folded[c % layout.P] += polynomial[c];
                    foldedPolynomials![i] = folded;
                }
            }
        }

        public T[] Wires(int gadget) => wires[gadget];

        public int SeedOffset(int gadget) => seedOffsets[gadget];

        public T Call(int gadget, ReadOnlySpan<T> inputs)
        {
            var layout = layouts[gadget];
            var k = ++calls[gadget];
            if (k > layout.Calls)
                throw new InvalidOperationException($"gadget {gadget} called more than the {layout.Calls} times its circuit declares");
            if (inputs.Length != layout.Gadget.Arity)
                throw new ArgumentException($"gadget {gadget} takes {layout.Gadget.Arity} inputs, not {inputs.Length}");
            var table = wires[gadget];
            for (var j = 0; j < inputs.Length; j++)
                table[j * layout.P + k] = inputs[j];
            return foldedPolynomials is null
                ? layout.Gadget.Evaluate(inputs)
                : Polynomial.Evaluate<T>(foldedPolynomials[gadget], layout.Powers[k]);
        }

        public void CheckCalls()
        {
            for (var i = 0; i < layouts.Length; i++)
                if (calls[i] != layouts[i].Calls)
                    throw new InvalidOperationException($"gadget {i} was called {calls[i]} times, its circuit declares {layouts[i].Calls}");
        }
    }
}
