using System.Text.Json.Nodes;
using Candor.Vdaf;

namespace Candor.Dap;

/// <summary>
/// A task's VDAF behind one non-generic face, so the aggregators store and add shares as bytes whatever
/// the field. Described by the same JSON as Divvi Up's clients use: <c>{"type":"count"}</c>,
/// <c>{"type":"sum","bits":8}</c>, <c>{"type":"histogram","length":16,"chunkLength":4}</c>,
/// <c>{"type":"sumVec","length":4,"bits":8,"chunkLength":3}</c>.
/// </summary>
internal abstract class DapVdaf
{
    /// <summary>The verification key size shared by the two aggregators.</summary>
    public const int VerifyKeySize = 16;

    /// <summary>Reads a VDAF description; <see cref="FormatException"/> names what is wrong.</summary>
    public static DapVdaf Parse(JsonNode? spec)
    {
        if (spec is not JsonObject o)
            throw new FormatException("vdaf must be an object such as {\"type\": \"count\"}");
        int Int(string name, int min, int max)
        {
            if (o[name] is not JsonValue v || !v.TryGetValue<int>(out var n))
                throw new FormatException($"vdaf.{name} must be a whole number");
            if (n < min || n > max)
                throw new FormatException($"vdaf.{name} must be between {min} and {max}, not {n}");
            return n;
        }
        var type = o["type"] is JsonValue t && t.TryGetValue<string>(out var name) ? name : null;
        return type switch
        {
            "count" => new DapVdaf<Field64, bool, ulong>(spec, Prio3.Count(), m => m switch
            {
                0 => false,
                1 => true,
                _ => throw new VdafException(VdafError.Input, "a count is 0 or 1"),
            }, r => r.ToString()),
            "sum" => new DapVdaf<Field128, UInt128, UInt128>(spec, Prio3.Sum(Int("bits", 1, 64)), m => m, r => r.ToString()),
            "histogram" => new DapVdaf<Field128, int, UInt128[]>(spec, Prio3.Histogram(Int("length", 1, 100_000), Int("chunkLength", 1, 100_000)),
                m => m <= int.MaxValue ? (int)m : throw new VdafException(VdafError.Input, "a bucket index out of range"), Join),
            "sumVec" => new DapVdaf<Field128, IReadOnlyList<ulong>, UInt128[]>(spec,
                Prio3.SumVec(Int("length", 1, 100_000), Int("bits", 1, 64), Int("chunkLength", 1, 100_000)),
                _ => throw new NotSupportedException("a SumVec measurement is a vector; shard it with Prio3 directly"), Join),
            _ => throw new FormatException($"vdaf.type must be count, sum, histogram or sumVec, not '{type}'"),
        };
    }

    private static string Join(UInt128[] values) => string.Join(",", values);

    /// <summary>The description it was built from, for the task file and for the Collector.</summary>
    public abstract JsonNode Spec { get; }

    public abstract int AggregateShareLength { get; }

    /// <summary>A client's sharding of one measurement (a count's 0/1, a sum, a bucket index).</summary>
    public abstract Prio3Shards Shard(ulong measurement, ReadOnlySpan<byte> nonce);

    /// <exception cref="VdafException">Decode: the shares do not parse.</exception>
    public abstract (object State, byte[] PrepareShare) PrepareInit(ReadOnlySpan<byte> verifyKey, DapRole role, ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> publicShare, ReadOnlySpan<byte> inputShare);

    /// <exception cref="VdafException">Verify: the proof does not check out (a cheating client).</exception>
    public abstract byte[] PrepareSharesToPrepare(byte[] leaderShare, byte[] helperShare);

    /// <summary>The output share, encoded as an aggregate share of one report.</summary>
    /// <exception cref="VdafException">Verify: the joint randomness does not match.</exception>
    public abstract byte[] PrepareNext(object state, ReadOnlySpan<byte> prepareMessage);

    public abstract byte[] EmptyAggregate();

    /// <summary>Adds an encoded share into an encoded aggregate share.</summary>
    public abstract byte[] Add(ReadOnlySpan<byte> aggregate, ReadOnlySpan<byte> share);

    /// <summary>The aggregate result as text: a number, or comma-separated numbers for a histogram or vector.</summary>
    public abstract string Unshard(byte[] leaderAggregate, byte[] helperAggregate, int reports);
}

internal sealed class DapVdaf<T, TMeasurement, TResult>(
    JsonNode spec, Prio3<T, TMeasurement, TResult> prio3, Func<ulong, TMeasurement> measurement, Func<TResult, string> format) : DapVdaf
    where T : unmanaged, IFftField<T>
{
    private readonly JsonNode _spec = spec.DeepClone();

    public Prio3<T, TMeasurement, TResult> Prio3 => prio3;

    public override JsonNode Spec => _spec.DeepClone();

    public override int AggregateShareLength => prio3.EncodeAggregateShare(prio3.NewAggregateShare()).Length;

    public override Prio3Shards Shard(ulong value, ReadOnlySpan<byte> nonce) => prio3.Shard(measurement(value), nonce);

    public override (object State, byte[] PrepareShare) PrepareInit(ReadOnlySpan<byte> verifyKey, DapRole role, ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> publicShare, ReadOnlySpan<byte> inputShare)
    {
        var (state, share) = prio3.PrepareInit(verifyKey, role == DapRole.Leader ? 0 : 1, nonce, publicShare, inputShare);
        return (state, share);
    }

    public override byte[] PrepareSharesToPrepare(byte[] leaderShare, byte[] helperShare) => prio3.PrepareSharesToPrepare([leaderShare, helperShare]);

    public override byte[] PrepareNext(object state, ReadOnlySpan<byte> prepareMessage) =>
        prio3.EncodeAggregateShare(prio3.PrepareNext((Prio3PrepareState<T>)state, prepareMessage));

    public override byte[] EmptyAggregate() => prio3.EncodeAggregateShare(prio3.NewAggregateShare());

    public override byte[] Add(ReadOnlySpan<byte> aggregate, ReadOnlySpan<byte> share)
    {
        var sum = prio3.DecodeAggregateShare(aggregate);
        prio3.Accumulate(sum, prio3.DecodeAggregateShare(share));
        return prio3.EncodeAggregateShare(sum);
    }

    public override string Unshard(byte[] leaderAggregate, byte[] helperAggregate, int reports) =>
        format(prio3.Unshard([leaderAggregate, helperAggregate], reports));
}
