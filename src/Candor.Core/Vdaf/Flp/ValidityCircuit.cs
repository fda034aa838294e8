namespace Candor.Vdaf.Flp;

/// <summary>
/// How a validity circuit calls its gadgets. The FLP supplies one implementation that records wires
/// and evaluates the gadget (prover) and one that records wires and reads the gadget polynomial
/// (verifier); the circuit cannot tell them apart, which is what makes the proof sound.
/// </summary>
internal interface IGadgetCalls<T> where T : unmanaged, IFftField<T>
{
    T Call(int gadget, ReadOnlySpan<T> inputs);
}

/// <summary>
/// An arithmetic circuit that is zero exactly on valid encoded measurements (VDAF-08, section 7.3.2),
/// written in terms of its gadgets. Concrete circuits are in <c>Candor.Vdaf.Circuits</c>.
/// </summary>
internal abstract class ValidityCircuit<T> where T : unmanaged, IFftField<T>
{
    public abstract IReadOnlyList<Gadget<T>> Gadgets { get; }

    /// <summary>How many times each gadget is called in one evaluation, in the order of <see cref="Gadgets"/>.</summary>
    public abstract IReadOnlyList<int> GadgetCalls { get; }

    public abstract int MeasurementLength { get; }

    public abstract int OutputLength { get; }

    public abstract int JointRandLength { get; }

    /// <summary>
    /// Evaluates the circuit. <paramref name="shares"/> is how many additive shares the measurement was
    /// split into: constants are scaled by its inverse so the shares' outputs add up to the whole's.
    /// </summary>
    public abstract T Evaluate(ReadOnlySpan<T> measurement, ReadOnlySpan<T> jointRand, int shares, IGadgetCalls<T> gadgets);

    /// <summary>Maps an encoded measurement (or a share of one) to its aggregatable output.</summary>
    public abstract void Truncate(ReadOnlySpan<T> measurement, Span<T> output);
}

/// <summary>A validity circuit with its measurement encoding and its aggregate decoding.</summary>
internal abstract class ValidityCircuit<T, TMeasurement, TResult> : ValidityCircuit<T> where T : unmanaged, IFftField<T>
{
    /// <summary>Encodes a measurement into <see cref="ValidityCircuit{T}.MeasurementLength"/> elements; throws <see cref="VdafException"/> (Input) when it is out of range.</summary>
    public abstract void Encode(TMeasurement measurement, Span<T> encoded);

    /// <summary>Turns the sum of the aggregate shares into the aggregate result.</summary>
    public abstract TResult Decode(ReadOnlySpan<T> output, int measurements);
}
