using Candor.Vdaf;

namespace Candor.Tests.Vdaf;

/// <summary>One client report as the aggregators receive it.</summary>
internal sealed record Prio3Report(byte[] Nonce, byte[] PublicShare, byte[][] InputShares);

/// <summary>What the aggregators saw for one report: the messages exchanged, or why it was rejected.</summary>
internal sealed record PreparedReport(byte[][] PrepareShares, byte[]? PrepareMessage, VdafError? Rejected);

/// <summary>
/// Every aggregator of a Prio3 task as separate parties, each with its own state: each prepares its
/// own input share, the verifier shares are combined, and an output share is aggregated only when
/// prep_next releases it. A rejected report (a <see cref="VdafException"/>) is counted and skipped, as an
/// aggregator must. <see cref="SkipVerification"/> is the deliberately broken aggregator of the
/// positive controls: it adds every output share whether the report verified or not.
/// </summary>
internal sealed class AggregatorPair<T, TMeasurement, TResult>(Prio3<T, TMeasurement, TResult> vdaf, byte[] verifyKey)
    where T : unmanaged, IFftField<T>
{
    private readonly T[][] aggregates = Enumerable.Range(0, vdaf.Shares).Select(_ => vdaf.NewAggregateShare()).ToArray();

    public bool SkipVerification { get; init; }
    public int Accepted { get; private set; }
    public List<VdafError> Rejections { get; } = [];

    public PreparedReport Prepare(Prio3Report report)
    {
        var states = new Prio3PrepareState<T>[vdaf.Shares];
        var shares = new byte[vdaf.Shares][];
        try
        {
            for (var id = 0; id < vdaf.Shares; id++)
                (states[id], shares[id]) = vdaf.PrepareInit(verifyKey, id, report.Nonce, report.PublicShare, report.InputShares[id]);
            if (SkipVerification)
            {
                for (var id = 0; id < vdaf.Shares; id++)
                    vdaf.Accumulate(aggregates[id], states[id].OutputShare);
                Accepted++;
                return new PreparedReport(shares, null, null);
            }
            var message = vdaf.PrepareSharesToPrepare(shares);
            var outputs = states.Select(state => vdaf.PrepareNext(state, message)).ToArray();
            for (var id = 0; id < vdaf.Shares; id++)
                vdaf.Accumulate(aggregates[id], outputs[id]);
            Accepted++;
            return new PreparedReport(shares, message, null);
        }
        catch (VdafException rejected)
        {
            Rejections.Add(rejected.Error);
            return new PreparedReport(shares, null, rejected.Error);
        }
    }

    public byte[][] AggregateShares => aggregates.Select(a => vdaf.EncodeAggregateShare(a)).ToArray();

    public TResult Result => vdaf.Unshard(AggregateShares, Accepted);

    public static Prio3Report Shard(Prio3<T, TMeasurement, TResult> vdaf, TMeasurement measurement)
    {
        var nonce = System.Security.Cryptography.RandomNumberGenerator.GetBytes(Prio3<T, TMeasurement, TResult>.NonceSize);
        var shards = vdaf.Shard(measurement, nonce);
        return new Prio3Report(nonce, shards.PublicShare, shards.InputShares);
    }
}
