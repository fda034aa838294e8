using System.Buffers.Binary;
using System.Security.Cryptography;
using Candor.Vdaf.Circuits;
using Candor.Vdaf.Flp;

namespace Candor.Vdaf;

/// <summary>The draft-08 Prio3 instances with their codepoints (VDAF-08, section 7.4 and section 10).</summary>
internal static class Prio3
{
    public const byte Version = 8;

    public static Prio3<Field64, bool, ulong> Count(int shares = 2) => new(0x00000000, new CountCircuit(), shares);

    public static Prio3<Field128, UInt128, UInt128> Sum(int bits, int shares = 2) => new(0x00000001, new SumCircuit(bits), shares);

    public static Prio3<Field128, IReadOnlyList<ulong>, UInt128[]> SumVec(int length, int bits, int chunkLength, int shares = 2) =>
        new(0x00000002, new SumVecCircuit(length, bits, chunkLength), shares);

    public static Prio3<Field128, int, UInt128[]> Histogram(int length, int chunkLength, int shares = 2) =>
        new(0x00000003, new HistogramCircuit(length, chunkLength), shares);

    /// <summary>Not in the draft's text: the reference code's test instance under the private codepoint 0xFFFFFFFF.</summary>
    public static Prio3<Field128, IReadOnlyList<bool>, UInt128[]> MultiHotHistogram(int length, int maxCount, int chunkLength, int shares = 2) =>
        new(0xFFFFFFFF, new MultiHotHistogramCircuit(length, maxCount, chunkLength), shares);
}

/// <summary>What a client sends: one public share for every aggregator and one input share each.</summary>
internal sealed record Prio3Shards(byte[] PublicShare, byte[][] InputShares);

/// <summary>An aggregator's state between prep_init and prep_next: its output share, held back until the report verifies.</summary>
internal sealed class Prio3PrepareState<T> where T : unmanaged, IFftField<T>
{
    internal Prio3PrepareState(T[] outputShare, byte[]? correctedJointRandSeed)
    {
        OutputShare = outputShare;
        CorrectedJointRandSeed = correctedJointRandSeed;
    }

    /// <summary>Not to be aggregated before <see cref="Prio3{T, TMeasurement, TResult}.PrepareNext"/> releases it.</summary>
    internal T[] OutputShare { get; }
    internal byte[]? CorrectedJointRandSeed { get; }
}

/// <summary>
/// Prio3 (VDAF-08, section 7.2) over a validity circuit and XofTurboShake128, with one proof. A client
/// splits its encoded measurement and a proof of its validity into additive shares (the leader's in
/// full, every helper's as two seeds); each aggregator queries its shares and they exchange verifier
/// shares, so a report's value is never seen by any one aggregator, yet a malformed one is rejected.
/// Messages are the draft's byte encodings; every parse of untrusted bytes throws
/// <see cref="VdafException"/> (Decode) on a bad length or an out-of-range element.
/// </summary>
internal sealed class Prio3<T, TMeasurement, TResult> where T : unmanaged, IFftField<T>
{
    public const int SeedSize = XofTurboShake128.SeedSize;
    public const int NonceSize = 16;
    public const int VerifyKeySize = SeedSize;

    private const ushort UsageMeasurementShare = 1;
    private const ushort UsageProofShare = 2;
    private const ushort UsageJointRandomness = 3;
    private const ushort UsageProveRandomness = 4;
    private const ushort UsageQueryRandomness = 5;
    private const ushort UsageJointRandSeed = 6;
    private const ushort UsageJointRandPart = 7;

    private const int Proofs = 1;

    private readonly ValidityCircuit<T, TMeasurement, TResult> circuit;
    private readonly FlpGeneric<T> flp;
    private readonly byte[][] tags = new byte[8][];

    public Prio3(uint algorithmId, ValidityCircuit<T, TMeasurement, TResult> circuit, int shares)
    {
        if (shares is < 2 or > 255)
            throw new ArgumentOutOfRangeException(nameof(shares), "Prio3 has 2 to 255 aggregators");
        AlgorithmId = algorithmId;
        Shares = shares;
        this.circuit = circuit;
        flp = new FlpGeneric<T>(circuit);
        for (ushort usage = 1; usage <= 7; usage++)
        {
            // format_dst(0, ID, usage): version, algorithm class 0 (VDAF), ID and usage, big-endian.
            var tag = new byte[8];
            tag[0] = Prio3.Version;
            tag[1] = 0;
            BinaryPrimitives.WriteUInt32BigEndian(tag.AsSpan(2), algorithmId);
            BinaryPrimitives.WriteUInt16BigEndian(tag.AsSpan(6), usage);
            tags[usage] = tag;
        }
    }

    public uint AlgorithmId { get; }
    public int Shares { get; }
    public FlpGeneric<T> Flp => flp;
    private bool UsesJointRand => flp.JointRandLength > 0;
    private static int F => T.EncodedSize;

    /// <summary>Bytes of randomness one shard consumes.</summary>
    public int RandSize => SeedSize * (1 + 2 * (Shares - 1) + (UsesJointRand ? Shares : 0));

    public int PublicShareLength => UsesJointRand ? SeedSize * Shares : 0;
    public int LeaderInputShareLength => F * (flp.MeasurementLength + flp.ProofLength * Proofs) + (UsesJointRand ? SeedSize : 0);
    public int HelperInputShareLength => 2 * SeedSize + (UsesJointRand ? SeedSize : 0);
    public int PrepareShareLength => F * flp.VerifierLength * Proofs + (UsesJointRand ? SeedSize : 0);
    public int PrepareMessageLength => UsesJointRand ? SeedSize : 0;
    public int OutputLength => flp.OutputLength;

    /// <summary>Shards with fresh randomness from the operating system's CSPRNG.</summary>
    public Prio3Shards Shard(TMeasurement measurement, ReadOnlySpan<byte> nonce)
    {
        var rand = new byte[RandSize];
        RandomNumberGenerator.Fill(rand);
        try
        {
            return Shard(measurement, nonce, rand);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(rand);
        }
    }

    /// <summary>The draft's deterministic shard(measurement, nonce, rand): the test vectors fix rand.</summary>
    public Prio3Shards Shard(TMeasurement measurement, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> rand)
    {
        var measurementElements = new T[flp.MeasurementLength];
        circuit.Encode(measurement, measurementElements);
        return ShardEncoded(measurementElements, nonce, rand);
    }

    /// <summary>
    /// Shards an already encoded measurement, running the honest prover on it whether or not it is
    /// valid: what a cheating client does. Internal so tests can play that client.
    /// </summary>
    internal Prio3Shards ShardEncoded(T[] measurementElements, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> rand)
    {
        if (nonce.Length != NonceSize)
            throw new VdafException(VdafError.Input, $"the nonce is {nonce.Length} bytes, not {NonceSize}");
        if (rand.Length != RandSize)
            throw new VdafException(VdafError.Input, $"the randomness is {rand.Length} bytes, not {RandSize}");
        if (measurementElements.Length != flp.MeasurementLength)
            throw new VdafException(VdafError.Input, $"the encoded measurement has {measurementElements.Length} elements, not {flp.MeasurementLength}");

        var perHelper = UsesJointRand ? 3 : 2;
        var helperSeedCount = (Shares - 1) * perHelper;

        // Measurement shares: each helper's comes from its seed, the leader's is what remains.
        var leaderMeasurement = (T[])measurementElements.Clone();
        var jointRandParts = UsesJointRand ? new byte[Shares][] : null;
        for (var j = 0; j < Shares - 1; j++)
        {
            var helperMeasurement = HelperMeasurementShare(j + 1, SeedAt(rand, j * perHelper));
            Subtract(leaderMeasurement, helperMeasurement);
            if (jointRandParts is not null)
                jointRandParts[j + 1] = JointRandPart(j + 1, SeedAt(rand, j * perHelper + 2), helperMeasurement, nonce);
        }
        var leaderBlind = UsesJointRand ? SeedAt(rand, helperSeedCount).ToArray() : null;
        if (jointRandParts is not null)
            jointRandParts[0] = JointRandPart(0, leaderBlind!, leaderMeasurement, nonce);
        var proveSeed = SeedAt(rand, helperSeedCount + (UsesJointRand ? 1 : 0));

        // The proof, on the whole measurement, with joint randomness bound to every share via the parts.
        var proveRand = ExpandVector(proveSeed, UsageProveRandomness, [Proofs], flp.ProveRandLength * Proofs);
        var jointRand = jointRandParts is not null ? JointRands(JointRandSeed(jointRandParts)) : [];
        var leaderProof = new T[flp.ProofLength * Proofs];
        flp.Prove(measurementElements, proveRand, jointRand, leaderProof);
        for (var j = 0; j < Shares - 1; j++)
            Subtract(leaderProof, HelperProofShare(j + 1, SeedAt(rand, j * perHelper + 1)));

        var inputShares = new byte[Shares][];
        var leader = new byte[LeaderInputShareLength];
        var offset = WriteVector(leaderMeasurement, leader);
        offset += WriteVector(leaderProof, leader.AsSpan(offset));
        leaderBlind?.CopyTo(leader, offset);
        inputShares[0] = leader;
        for (var j = 0; j < Shares - 1; j++)
            inputShares[j + 1] = rand.Slice(j * perHelper * SeedSize, perHelper * SeedSize).ToArray();

        var publicShare = jointRandParts is not null ? jointRandParts.SelectMany(p => p).ToArray() : [];
        return new Prio3Shards(publicShare, inputShares);
    }

    /// <summary>
    /// prep_init: expands and checks this aggregator's input share, recomputes its joint randomness
    /// part, and returns its prepare share (verifier share and part) to send to the others.
    /// </summary>
    public (Prio3PrepareState<T> State, byte[] PrepareShare) PrepareInit(
        ReadOnlySpan<byte> verifyKey, int aggregatorId, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> publicShare, ReadOnlySpan<byte> inputShare)
    {
        if (verifyKey.Length != VerifyKeySize)
            throw new ArgumentException($"the verification key is {VerifyKeySize} bytes", nameof(verifyKey));
        if (aggregatorId < 0 || aggregatorId >= Shares)
            throw new ArgumentOutOfRangeException(nameof(aggregatorId), $"aggregator ids are 0 to {Shares - 1}");
        if (nonce.Length != NonceSize)
            throw new VdafException(VdafError.Decode, $"the nonce is {nonce.Length} bytes, not {NonceSize}");
        if (publicShare.Length != PublicShareLength)
            throw new VdafException(VdafError.Decode, $"the public share is {publicShare.Length} bytes, not {PublicShareLength}");

        T[] measurement, proof;
        ReadOnlySpan<byte> blind;
        if (aggregatorId == 0)
        {
            if (inputShare.Length != LeaderInputShareLength)
                throw new VdafException(VdafError.Decode, $"the leader's input share is {inputShare.Length} bytes, not {LeaderInputShareLength}");
            measurement = ReadVector(inputShare, flp.MeasurementLength);
            proof = ReadVector(inputShare[(F * flp.MeasurementLength)..], flp.ProofLength * Proofs);
            blind = inputShare[(F * (flp.MeasurementLength + flp.ProofLength * Proofs))..];
        }
        else
        {
            if (inputShare.Length != HelperInputShareLength)
                throw new VdafException(VdafError.Decode, $"a helper's input share is {inputShare.Length} bytes, not {HelperInputShareLength}");
            measurement = HelperMeasurementShare(aggregatorId, inputShare[..SeedSize]);
            proof = HelperProofShare(aggregatorId, inputShare.Slice(SeedSize, SeedSize));
            blind = inputShare[(2 * SeedSize)..];
        }

        var outputShare = new T[flp.OutputLength];
        circuit.Truncate(measurement, outputShare);

        byte[]? correctedSeed = null, ownPart = null;
        T[] jointRand = [];
        if (UsesJointRand)
        {
            // Replace the client's claim for our own part with the part our share really gives; the
            // seed from all claimed parts is checked against the aggregators' parts in prep_next.
            ownPart = JointRandPart(aggregatorId, blind, measurement, nonce);
            var parts = new byte[Shares][];
            for (var i = 0; i < Shares; i++)
                parts[i] = i == aggregatorId ? ownPart : publicShare.Slice(i * SeedSize, SeedSize).ToArray();
            correctedSeed = JointRandSeed(parts);
            jointRand = JointRands(correctedSeed);
        }

        Span<byte> binder = stackalloc byte[1 + NonceSize];
        binder[0] = Proofs;
        nonce.CopyTo(binder[1..]);
        var queryRand = ExpandVector(verifyKey, UsageQueryRandomness, binder, flp.QueryRandLength * Proofs);
        var verifier = new T[flp.VerifierLength * Proofs];
        flp.Query(measurement, proof, queryRand, jointRand, Shares, verifier);

        var prepareShare = new byte[PrepareShareLength];
        var written = WriteVector(verifier, prepareShare);
        ownPart?.CopyTo(prepareShare, written);
        return (new Prio3PrepareState<T>(outputShare, correctedSeed), prepareShare);
    }

    /// <summary>
    /// prep_shares_to_prep: adds the verifier shares and decides. Throws <see cref="VdafException"/>
    /// (Verify) when the proof does not check out: the report is invalid and must not be aggregated.
    /// </summary>
    public byte[] PrepareSharesToPrepare(IReadOnlyList<byte[]> prepareShares)
    {
        if (prepareShares.Count != Shares)
            throw new VdafException(VdafError.Decode, $"{prepareShares.Count} prepare shares, not {Shares}");
        var verifier = new T[flp.VerifierLength * Proofs];
        var parts = new byte[Shares][];
        for (var i = 0; i < Shares; i++)
        {
            var share = prepareShares[i];
            if (share.Length != PrepareShareLength)
                throw new VdafException(VdafError.Decode, $"prepare share {i} is {share.Length} bytes, not {PrepareShareLength}");
            var verifierShare = ReadVector(share, verifier.Length);
            for (var k = 0; k < verifier.Length; k++)
                verifier[k] += verifierShare[k];
            parts[i] = share[(F * verifier.Length)..];
        }
        if (!flp.Decide(verifier))
            throw new VdafException(VdafError.Verify, "the proof verifier check failed: the measurement is invalid or its proof was tampered with");
        return UsesJointRand ? JointRandSeed(parts) : [];
    }

    /// <summary>
    /// prep_next: releases the output share once the aggregators' joint randomness seed equals the one
    /// this aggregator derived from the client's parts; a client that lied about a part fails here.
    /// </summary>
    public T[] PrepareNext(Prio3PrepareState<T> state, ReadOnlySpan<byte> prepareMessage)
    {
        if (prepareMessage.Length != PrepareMessageLength)
            throw new VdafException(VdafError.Decode, $"the prepare message is {prepareMessage.Length} bytes, not {PrepareMessageLength}");
        if (state.CorrectedJointRandSeed is not null && !CryptographicOperations.FixedTimeEquals(prepareMessage, state.CorrectedJointRandSeed))
            throw new VdafException(VdafError.Verify, "the joint randomness check failed: the client's public share does not match its input shares");
        return state.OutputShare;
    }

    /// <summary>A zero aggregate share to <see cref="Accumulate"/> output shares into.</summary>
    public T[] NewAggregateShare() => new T[flp.OutputLength];

    /// <summary>aggregate, one output share at a time, in place and without allocating.</summary>
    public void Accumulate(Span<T> aggregateShare, ReadOnlySpan<T> outputShare)
    {
        if (aggregateShare.Length != flp.OutputLength || outputShare.Length != flp.OutputLength)
            throw new ArgumentException($"aggregate and output shares have {flp.OutputLength} elements");
        for (var i = 0; i < aggregateShare.Length; i++)
            aggregateShare[i] += outputShare[i];
    }

    public byte[] EncodeAggregateShare(ReadOnlySpan<T> aggregateShare)
    {
        var encoded = new byte[F * aggregateShare.Length];
        WriteVector(aggregateShare, encoded);
        return encoded;
    }

    public T[] DecodeAggregateShare(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length != F * flp.OutputLength)
            throw new VdafException(VdafError.Decode, $"an aggregate share is {F * flp.OutputLength} bytes, not {encoded.Length}");
        return ReadVector(encoded, flp.OutputLength);
    }

    /// <summary>unshard: adds the aggregators' encoded aggregate shares and decodes the aggregate result.</summary>
    public TResult Unshard(IReadOnlyList<byte[]> aggregateShares, int measurements)
    {
        if (aggregateShares.Count != Shares)
            throw new VdafException(VdafError.Decode, $"{aggregateShares.Count} aggregate shares, not {Shares}");
        var total = NewAggregateShare();
        foreach (var share in aggregateShares)
            Accumulate(total, DecodeAggregateShare(share));
        return circuit.Decode(total, measurements);
    }

    private static ReadOnlySpan<byte> SeedAt(ReadOnlySpan<byte> rand, int index) => rand.Slice(index * SeedSize, SeedSize);

    private T[] HelperMeasurementShare(int aggregatorId, ReadOnlySpan<byte> seed) =>
        ExpandVector(seed, UsageMeasurementShare, [(byte)aggregatorId], flp.MeasurementLength);

    private T[] HelperProofShare(int aggregatorId, ReadOnlySpan<byte> seed) =>
        ExpandVector(seed, UsageProofShare, [Proofs, (byte)aggregatorId], flp.ProofLength * Proofs);

    private byte[] JointRandPart(int aggregatorId, ReadOnlySpan<byte> blind, ReadOnlySpan<T> measurementShare, ReadOnlySpan<byte> nonce)
    {
        var xof = new XofTurboShake128(blind, tags[UsageJointRandPart]);
        xof.AbsorbBinder([(byte)aggregatorId]);
        xof.AbsorbBinder(nonce);
        Span<byte> element = stackalloc byte[F];
        foreach (var x in measurementShare)
        {
            x.Write(element);
            xof.AbsorbBinder(element);
        }
        var part = new byte[SeedSize];
        xof.Next(part);
        return part;
    }

    private byte[] JointRandSeed(byte[][] parts)
    {
        var xof = new XofTurboShake128(stackalloc byte[SeedSize], tags[UsageJointRandSeed]);
        foreach (var part in parts)
            xof.AbsorbBinder(part);
        var seed = new byte[SeedSize];
        xof.Next(seed);
        return seed;
    }

    private T[] JointRands(ReadOnlySpan<byte> seed) => ExpandVector(seed, UsageJointRandomness, [Proofs], flp.JointRandLength * Proofs);

    private T[] ExpandVector(ReadOnlySpan<byte> seed, ushort usage, ReadOnlySpan<byte> binder, int length) =>
        XofTurboShake128.ExpandIntoVector<T>(seed, tags[usage], binder, length);

    private static void Subtract(Span<T> left, ReadOnlySpan<T> right)
    {
        for (var i = 0; i < left.Length; i++)
            left[i] -= right[i];
    }

    private static int WriteVector(ReadOnlySpan<T> vector, Span<byte> destination)
    {
        for (var i = 0; i < vector.Length; i++)
            vector[i].Write(destination.Slice(i * F, F));
        return vector.Length * F;
    }

    private static T[] ReadVector(ReadOnlySpan<byte> source, int length)
    {
        var vector = new T[length];
        for (var i = 0; i < length; i++)
            if (!T.TryRead(source.Slice(i * F, F), out vector[i]))
                throw new VdafException(VdafError.Decode, $"field element {i} is not below the modulus");
        return vector;
    }
}
