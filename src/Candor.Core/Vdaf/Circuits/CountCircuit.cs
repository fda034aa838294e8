using Candor.Vdaf.Flp;

namespace Candor.Vdaf.Circuits;

/// <summary>Count (VDAF-08, section 7.4.1): a measurement of 0 or 1 over Field64, checked by Mul(m, m) - m.</summary>
internal sealed class CountCircuit : ValidityCircuit<Field64, bool, ulong>
{
    private static readonly Gadget<Field64>[] GadgetList = [new MulGadget<Field64>()];
    private static readonly int[] Calls = [1];

    public override IReadOnlyList<Gadget<Field64>> Gadgets => GadgetList;
    public override IReadOnlyList<int> GadgetCalls => Calls;
    public override int MeasurementLength => 1;
    public override int OutputLength => 1;
    public override int JointRandLength => 0;

    public override Field64 Evaluate(ReadOnlySpan<Field64> measurement, ReadOnlySpan<Field64> jointRand, int shares, IGadgetCalls<Field64> gadgets) =>
        gadgets.Call(0, [measurement[0], measurement[0]]) - measurement[0];

    public override void Encode(bool measurement, Span<Field64> encoded) => encoded[0] = measurement ? Field64.One : Field64.Zero;

    public override void Truncate(ReadOnlySpan<Field64> measurement, Span<Field64> output) => output[0] = measurement[0];

    public override ulong Decode(ReadOnlySpan<Field64> output, int measurements) => (ulong)output[0].ToInteger();
}
