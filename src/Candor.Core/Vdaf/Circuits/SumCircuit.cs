using Candor.Vdaf.Flp;

namespace Candor.Vdaf.Circuits;

/// <summary>
/// Sum (VDAF-08, section 7.4.2): an integer in [0, 2^bits) sent as its bits over Field128; each bit is
/// checked with Range2 and the checks are combined with powers of one joint-randomness element.
/// </summary>
internal sealed class SumCircuit : ValidityCircuit<Field128, UInt128, UInt128>
{
    private static readonly Gadget<Field128>[] GadgetList = [new Range2Gadget<Field128>()];
    private readonly int[] calls;
    private readonly Field128[] powersOfTwo;

    public SumCircuit(int bits)
    {
        if (bits is < 1 or > 127)
            throw new ArgumentOutOfRangeException(nameof(bits), "Sum needs 1 to 127 bits so that 2^bits stays below the Field128 modulus");
        Bits = bits;
        calls = [bits];
        powersOfTwo = CircuitMath<Field128>.PowersOfTwo(bits);
    }

    public int Bits { get; }
    public override IReadOnlyList<Gadget<Field128>> Gadgets => GadgetList;
    public override IReadOnlyList<int> GadgetCalls => calls;
    public override int MeasurementLength => Bits;
    public override int OutputLength => 1;
    public override int JointRandLength => 1;

    public override Field128 Evaluate(ReadOnlySpan<Field128> measurement, ReadOnlySpan<Field128> jointRand, int shares, IGadgetCalls<Field128> gadgets)
    {
        var output = Field128.Zero;
        var r = jointRand[0];
        for (var l = 0; l < measurement.Length; l++)
        {
            output += r * gadgets.Call(0, measurement.Slice(l, 1));
            r *= jointRand[0];
        }
        return output;
    }

    public override void Encode(UInt128 measurement, Span<Field128> encoded)
    {
        if (Bits < 128 && measurement >> Bits != 0)
            throw new VdafException(VdafError.Input, $"the measurement {measurement} does not fit in {Bits} bits");
        CircuitMath<Field128>.EncodeBits(measurement, Bits, encoded);
    }

    public override void Truncate(ReadOnlySpan<Field128> measurement, Span<Field128> output) =>
        output[0] = CircuitMath<Field128>.DecodeBits(measurement, powersOfTwo);

    public override UInt128 Decode(ReadOnlySpan<Field128> output, int measurements) => output[0].ToInteger();
}
