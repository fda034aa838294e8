using System.Security.Cryptography;
using Candor.Vdaf;
using Candor.Vdaf.Flp;

namespace Candor.Tests.Vdaf;

/// <summary>
/// The generic FLP on its own (VDAF-08's run_flp), with circuits the Prio3 instances do not use: the
/// PolyEval gadget and two gadgets in one circuit. Valid measurements are accepted (the control that
/// the check can pass) and invalid ones rejected, with the measurement and proof split into shares.
/// </summary>
public sealed class FlpGenericTests
{
    [Fact]
    public void A_PolyEval_circuit_accepts_elements_in_its_range_and_rejects_others()
    {
        var flp = new FlpGeneric<Field64>(new Range3Circuit(elements: 5));
        Assert.True(Run(flp, [0, 1, 2, 2, 0]));
        Assert.True(Run(flp, [1, 1, 1, 1, 1]));
        Assert.False(Run(flp, [0, 1, 3, 2, 0]));
        Assert.False(Run(flp, [0, 1, 2, 2, 7]));
    }

    [Fact]
    public void A_circuit_with_two_gadgets_proves_and_verifies()
    {
        // Like the reference code's TestMultiGadget: one Mul called once, another called twice.
        var flp = new FlpGeneric<Field64>(new TwoGadgetCircuit());
        Assert.True(Run(flp, [0]));
        Assert.True(Run(flp, [1]));
        Assert.False(Run(flp, [2]));
        Assert.Equal(2 + 2 * (2 - 1) + 1 + 2 + 2 * (4 - 1) + 1, flp.ProofLength);
    }

    [Fact]
    public void A_query_point_on_the_wire_domain_aborts_instead_of_leaking_a_gadget_output()
    {
        var flp = new FlpGeneric<Field64>(new Range3Circuit(elements: 3)); // 3 calls: P = 4
        var measurement = new ulong[] { 1, 2, 0 }.Select(v => Field64.FromInteger(v)).ToArray();
        var proof = new Field64[flp.ProofLength];
        flp.Prove(measurement, Random(flp.ProveRandLength), Random(1), proof);
        var fourthRootOfUnity = Field64.Generator.Pow(UInt128.One << 30);
        var verifier = new Field64[flp.VerifierLength];

        var error = Assert.Throws<VdafException>(() => flp.Query(measurement, proof, [fourthRootOfUnity], Random(1), 1, verifier));
        Assert.Equal(VdafError.Verify, error.Error);
        flp.Query(measurement, proof, Random(1), Random(1), 1, verifier); // the control: any other point answers
    }

    /// <summary>run_flp with two shares of the measurement and of the proof.</summary>
    private static bool Run(FlpGeneric<Field64> flp, ulong[] values)
    {
        var measurement = values.Select(v => Field64.FromInteger(v)).ToArray();
        var jointRand = Random(flp.JointRandLength);
        var queryRand = Random(flp.QueryRandLength);
        var proof = new Field64[flp.ProofLength];
        flp.Prove(measurement, Random(flp.ProveRandLength), jointRand, proof);

        var measurementShare = Random(measurement.Length);
        var proofShare = Random(proof.Length);
        var verifier = new Field64[flp.VerifierLength];
        var otherVerifier = new Field64[flp.VerifierLength];
        flp.Query(measurementShare, proofShare, queryRand, jointRand, 2, verifier);
        flp.Query(measurement.Zip(measurementShare, (m, s) => m - s).ToArray(), proof.Zip(proofShare, (p, s) => p - s).ToArray(),
            queryRand, jointRand, 2, otherVerifier);
        return flp.Decide(verifier.Zip(otherVerifier, (a, b) => a + b).ToArray());
    }

    private static Field64[] Random(int length)
    {
        var values = new Field64[length];
        var bytes = new byte[8];
        for (var i = 0; i < length;)
        {
            RandomNumberGenerator.Fill(bytes);
            if (Field64.TryRead(bytes, out var x))
                values[i++] = x;
        }
        return values;
    }

    /// <summary>sum_i r^i p(m_i) with p(x) = x^3 - 3x^2 + 2x, zero exactly on {0, 1, 2}.</summary>
    private sealed class Range3Circuit(int elements) : ValidityCircuit<Field64>
    {
        private readonly Gadget<Field64>[] gadgets = [new PolyEvalGadget<Field64>([0, 2, -3, 1])];

        public override IReadOnlyList<Gadget<Field64>> Gadgets => gadgets;
        public override IReadOnlyList<int> GadgetCalls => [elements];
        public override int MeasurementLength => elements;
        public override int OutputLength => elements;
        public override int JointRandLength => 1;

        public override Field64 Evaluate(ReadOnlySpan<Field64> measurement, ReadOnlySpan<Field64> jointRand, int shares, IGadgetCalls<Field64> calls)
        {
            // p has no constant term, so the shares' outputs add up without scaling by 1/shares.
            var output = Field64.Zero;
            var r = jointRand[0];
            for (var i = 0; i < measurement.Length; i++, r *= jointRand[0])
                output += r * calls.Call(0, measurement.Slice(i, 1));
            return output;
        }

        public override void Truncate(ReadOnlySpan<Field64> measurement, Span<Field64> output) => measurement.CopyTo(output);
    }

    /// <summary>m^3 - m through two Mul gadgets (one called once, one twice): zero on {0, 1}, not on 2.</summary>
    private sealed class TwoGadgetCircuit : ValidityCircuit<Field64>
    {
        private readonly Gadget<Field64>[] gadgets = [new MulGadget<Field64>(), new MulGadget<Field64>()];

        public override IReadOnlyList<Gadget<Field64>> Gadgets => gadgets;
        public override IReadOnlyList<int> GadgetCalls => [1, 2];
        public override int MeasurementLength => 1;
        public override int OutputLength => 1;
        public override int JointRandLength => 0;

        public override Field64 Evaluate(ReadOnlySpan<Field64> measurement, ReadOnlySpan<Field64> jointRand, int shares, IGadgetCalls<Field64> calls)
        {
            var m = measurement[0];
            var square = calls.Call(0, [m, m]);
            var cube = calls.Call(1, [m, square]);
            var again = calls.Call(1, [m, m]);
            // m^3 - m is zero on {0, 1} (and -1, which 2 is not); (again - square) is always zero.
            return cube - m + again - square;
        }

        public override void Truncate(ReadOnlySpan<Field64> measurement, Span<Field64> output) => measurement.CopyTo(output);
    }
}
