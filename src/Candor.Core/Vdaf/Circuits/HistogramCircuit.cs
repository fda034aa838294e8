using Candor.Vdaf.Flp;

namespace Candor.Vdaf.Circuits;

/// <summary>
/// Histogram (VDAF-08, section 7.4.4, as in the draft-08 reference code): a one-hot vector over
/// Field128. A ParallelSum of Mul range-checks every bucket, and the buckets must add up to one;
/// both checks are folded together with a second joint-randomness element.
/// </summary>
internal sealed class HistogramCircuit : ValidityCircuit<Field128, int, UInt128[]>
{
    private readonly Gadget<Field128>[] gadgets;
    private readonly int[] calls;

    public HistogramCircuit(int length, int chunkLength)
    {
        if (length < 1)
            throw new ArgumentOutOfRangeException(nameof(length), "a histogram has at least one bucket");
        if (chunkLength < 1)
            throw new ArgumentOutOfRangeException(nameof(chunkLength), "the chunk length is at least one");
        Length = length;
        ChunkLength = chunkLength;
        gadgets = [new ParallelSumGadget<Field128>(new MulGadget<Field128>(), chunkLength)];
        calls = [(length + chunkLength - 1) / chunkLength];
    }

    public int Length { get; }
    public int ChunkLength { get; }
    public override IReadOnlyList<Gadget<Field128>> Gadgets => gadgets;
    public override IReadOnlyList<int> GadgetCalls => calls;
    public override int MeasurementLength => Length;
    public override int OutputLength => Length;
    public override int JointRandLength => 2;

    public override Field128 Evaluate(ReadOnlySpan<Field128> measurement, ReadOnlySpan<Field128> jointRand, int shares, IGadgetCalls<Field128> gadgets)
    {
        var rangeCheck = CircuitMath<Field128>.RangeCheck(measurement, jointRand[0], shares, ChunkLength, calls[0], gadgets);
        var sumCheck = -CircuitMath<Field128>.InverseOf(shares);
        foreach (var bucket in measurement)
            sumCheck += bucket;
        return jointRand[1] * rangeCheck + jointRand[1] * jointRand[1] * sumCheck;
    }

    public override void Encode(int measurement, Span<Field128> encoded)
    {
        if (measurement < 0 || measurement >= Length)
            throw new VdafException(VdafError.Input, $"bucket {measurement} is not in [0, {Length})");
        encoded[..Length].Clear();
        encoded[measurement] = Field128.One;
    }

    public override void Truncate(ReadOnlySpan<Field128> measurement, Span<Field128> output) => measurement.CopyTo(output);

    public override UInt128[] Decode(ReadOnlySpan<Field128> output, int measurements)
    {
        var counts = new UInt128[output.Length];
        for (var i = 0; i < counts.Length; i++)
            counts[i] = output[i].ToInteger();
        return counts;
    }
}
