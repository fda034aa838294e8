using System.Numerics;
using Candor.Vdaf.Flp;

namespace Candor.Vdaf.Circuits;

/// <summary>
/// MultiHotHistogram (draft-08 reference code, not in the draft's text; private codepoint 0xFFFFFFFF):
/// a bit vector with at most <c>maxCount</c> ones. The client appends bits_for_count bits holding
/// offset + (number of ones), offset = 2^bits_for_count - 1 - maxCount, so a range check on those bits
/// bounds the count; the circuit checks the claimed count against the buckets.
/// </summary>
internal sealed class MultiHotHistogramCircuit : ValidityCircuit<Field128, IReadOnlyList<bool>, UInt128[]>
{
    private readonly Gadget<Field128>[] gadgets;
    private readonly int[] calls;
    private readonly int bitsForCount;
    private readonly Field128 offset;
    private readonly Field128[] powersOfTwo;

    public MultiHotHistogramCircuit(int length, int maxCount, int chunkLength)
    {
        if (length < 1)
            throw new ArgumentOutOfRangeException(nameof(length), "a histogram has at least one bucket");
        if (maxCount < 1 || maxCount > length)
            throw new ArgumentOutOfRangeException(nameof(maxCount), "the maximum count is between 1 and the length");
        if (chunkLength < 1)
            throw new ArgumentOutOfRangeException(nameof(chunkLength), "the chunk length is at least one");
        Length = length;
        MaxCount = maxCount;
        ChunkLength = chunkLength;
        bitsForCount = 32 - BitOperations.LeadingZeroCount((uint)maxCount);
        offset = Field128.FromInteger((ulong)((1L << bitsForCount) - 1 - maxCount));
        gadgets = [new ParallelSumGadget<Field128>(new MulGadget<Field128>(), chunkLength)];
        calls = [(length + bitsForCount + chunkLength - 1) / chunkLength];
        powersOfTwo = CircuitMath<Field128>.PowersOfTwo(bitsForCount);
    }

    public int Length { get; }
    public int MaxCount { get; }
    public int ChunkLength { get; }
    public override IReadOnlyList<Gadget<Field128>> Gadgets => gadgets;
    public override IReadOnlyList<int> GadgetCalls => calls;
    public override int MeasurementLength => Length + bitsForCount;
    public override int OutputLength => Length;
    public override int JointRandLength => 2;

    public override Field128 Evaluate(ReadOnlySpan<Field128> measurement, ReadOnlySpan<Field128> jointRand, int shares, IGadgetCalls<Field128> gadgets)
    {
        var rangeCheck = CircuitMath<Field128>.RangeCheck(measurement, jointRand[0], shares, ChunkLength, calls[0], gadgets);
        var countCheck = offset * CircuitMath<Field128>.InverseOf(shares);
        for (var i = 0; i < Length; i++)
            countCheck += measurement[i];
        countCheck -= CircuitMath<Field128>.DecodeBits(measurement[Length..], powersOfTwo);
        return jointRand[1] * rangeCheck + jointRand[1] * jointRand[1] * countCheck;
    }

    public override void Encode(IReadOnlyList<bool> measurement, Span<Field128> encoded)
    {
        if (measurement.Count != Length)
            throw new VdafException(VdafError.Input, $"the measurement has {measurement.Count} buckets, not {Length}");
        var ones = measurement.Count(b => b);
        if (ones > MaxCount)
            throw new VdafException(VdafError.Input, $"the measurement has {ones} ones, more than the maximum of {MaxCount}");
        for (var i = 0; i < Length; i++)
            encoded[i] = measurement[i] ? Field128.One : Field128.Zero;
        var count = (offset + Field128.FromInteger((ulong)ones)).ToInteger();
        CircuitMath<Field128>.EncodeBits(count, bitsForCount, encoded.Slice(Length, bitsForCount));
    }

    public override void Truncate(ReadOnlySpan<Field128> measurement, Span<Field128> output) => measurement[..Length].CopyTo(output);

    public override UInt128[] Decode(ReadOnlySpan<Field128> output, int measurements)
    {
        var counts = new UInt128[output.Length];
        for (var i = 0; i < counts.Length; i++)
            counts[i] = output[i].ToInteger();
        return counts;
    }
}
