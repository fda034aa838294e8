using Candor.Vdaf.Flp;

namespace Candor.Vdaf.Circuits;

/// <summary>
/// SumVec (VDAF-08, section 7.4.3): a vector of <c>length</c> integers, each in [0, 2^bits), sent as
/// bits over Field128 and range-checked by a ParallelSum of Mul. Measurements are 64-bit here.
/// </summary>
internal sealed class SumVecCircuit : ValidityCircuit<Field128, IReadOnlyList<ulong>, UInt128[]>
{
    private readonly Gadget<Field128>[] gadgets;
    private readonly int[] calls;
    private readonly Field128[] powersOfTwo;

    public SumVecCircuit(int length, int bits, int chunkLength)
    {
        if (length < 1)
            throw new ArgumentOutOfRangeException(nameof(length), "the vector has at least one element");
        if (bits is < 1 or > 64)
            throw new ArgumentOutOfRangeException(nameof(bits), "each element has 1 to 64 bits here");
        if (chunkLength < 1)
            throw new ArgumentOutOfRangeException(nameof(chunkLength), "the chunk length is at least one");
        Length = length;
        Bits = bits;
        ChunkLength = chunkLength;
        gadgets = [new ParallelSumGadget<Field128>(new MulGadget<Field128>(), chunkLength)];
        calls = [(length * bits + chunkLength - 1) / chunkLength];
        powersOfTwo = CircuitMath<Field128>.PowersOfTwo(bits);
    }

    public int Length { get; }
    public int Bits { get; }
    public int ChunkLength { get; }
    public override IReadOnlyList<Gadget<Field128>> Gadgets => gadgets;
    public override IReadOnlyList<int> GadgetCalls => calls;
    public override int MeasurementLength => Length * Bits;
    public override int OutputLength => Length;
    public override int JointRandLength => 1;

    public override Field128 Evaluate(ReadOnlySpan<Field128> measurement, ReadOnlySpan<Field128> jointRand, int shares, IGadgetCalls<Field128> gadgets) =>
        CircuitMath<Field128>.RangeCheck(measurement, jointRand[0], shares, ChunkLength, calls[0], gadgets);

    public override void Encode(IReadOnlyList<ulong> measurement, Span<Field128> encoded)
    {
        if (measurement.Count != Length)
            throw new VdafException(VdafError.Input, $"the measurement has {measurement.Count} elements, not {Length}");
        for (var i = 0; i < Length; i++)
        {
            if (Bits < 64 && measurement[i] >> Bits != 0)
                throw new VdafException(VdafError.Input, $"element {i} ({measurement[i]}) does not fit in {Bits} bits");
            CircuitMath<Field128>.EncodeBits(measurement[i], Bits, encoded.Slice(i * Bits, Bits));
        }
    }

    public override void Truncate(ReadOnlySpan<Field128> measurement, Span<Field128> output)
    {
        for (var i = 0; i < Length; i++)
            output[i] = CircuitMath<Field128>.DecodeBits(measurement.Slice(i * Bits, Bits), powersOfTwo);
    }

    public override UInt128[] Decode(ReadOnlySpan<Field128> output, int measurements)
    {
        var sums = new UInt128[output.Length];
        for (var i = 0; i < sums.Length; i++)
            sums[i] = output[i].ToInteger();
        return sums;
    }
}
