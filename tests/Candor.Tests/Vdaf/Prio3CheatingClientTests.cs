using System.Security.Cryptography;
using Candor.Vdaf;

namespace Candor.Tests.Vdaf;

/// <summary>
/// A malicious client against Prio3's robustness: it runs the honest prover on an invalid encoding
/// (the strongest thing a client can do without breaking the FLP's soundness), or tampers with an
/// honest report's shares. Each attack is rejected by preparation and leaves the aggregate where the
/// honest reports put it; each has a positive control, the same report through a deliberately broken
/// aggregator that skips the verifier check, which shows the attack would otherwise move the result.
/// </summary>
public sealed class Prio3CheatingClientTests
{
    private static readonly byte[] VerifyKey = RandomNumberGenerator.GetBytes(16);

    [Fact]
    public void A_histogram_report_with_two_ones_is_rejected_and_does_not_move_the_aggregate()
    {
        var vdaf = Prio3.Histogram(16, 4);
        var encoded = new Field128[16];
        encoded[3] = encoded[9] = Field128.One;

        var (honest, broken) = Attack(vdaf, honest: [3, 3, 7], Cheat(vdaf, encoded));

        Assert.Equal(Counts(16, (3, 2), (7, 1)), honest.Result);
        Assert.Equal([VdafError.Verify], honest.Rejections);
        Assert.Equal(Counts(16, (3, 3), (7, 1), (9, 1)), broken.Result); // the control: one report, two votes
    }

    [Fact]
    public void A_histogram_report_with_no_one_or_a_minus_one_is_rejected()
    {
        var vdaf = Prio3.Histogram(16, 4);
        var empty = new Field128[16];
        var offsetting = new Field128[16];
        // Sums to one and passes a naive "sum == 1" check, but bucket 5 is -1: subtracts a vote.
        offsetting[2] = offsetting[4] = Field128.One;
        offsetting[5] = -Field128.One;

        foreach (var encoded in new[] { empty, offsetting })
        {
            var (honest, broken) = Attack(vdaf, honest: [1], Cheat(vdaf, encoded));
            Assert.Equal(Counts(16, (1, 1)), honest.Result);
            Assert.Equal([VdafError.Verify], honest.Rejections);
            Assert.Equal(2, broken.Accepted); // the control: a report that voted for nothing still counts
        }
        var (_, skipped) = Attack(vdaf, honest: [1], Cheat(vdaf, offsetting));
        Assert.Equal(Counts(16, (1, 1), (2, 1), (4, 1)).Select((c, i) => i == 5 ? Field128.Modulus - 1 : c), skipped.Result);
    }

    [Fact]
    public void A_sum_out_of_range_is_rejected_and_does_not_move_the_aggregate()
    {
        var vdaf = Prio3.Sum(8);
        // "Bits" of 2 and 200 decode to 2*128 + 200*64 = 13056, far outside [0, 256).
        var encoded = new Field128[8];
        encoded[7] = Field128.FromInteger(2);
        encoded[6] = Field128.FromInteger(200);

        var (honest, broken) = Attack(vdaf, honest: new UInt128[] { 10, 20 }, Cheat(vdaf, encoded));

        Assert.Equal((UInt128)30, honest.Result);
        Assert.Equal([VdafError.Verify], honest.Rejections);
        Assert.Equal((UInt128)(30 + 13056), broken.Result);
    }

    [Fact]
    public void A_count_of_two_is_rejected()
    {
        var vdaf = Prio3.Count();
        var (honest, broken) = Attack(vdaf, honest: [true, false, true], Cheat(vdaf, [Field64.FromInteger(2)]));

        Assert.Equal(2UL, honest.Result);
        Assert.Equal([VdafError.Verify], honest.Rejections);
        Assert.Equal(4UL, broken.Result);
    }

    [Fact]
    public void A_tampered_proof_in_the_leader_share_is_rejected()
    {
        var vdaf = Prio3.Histogram(16, 4);
        var report = AggregatorPair<Field128, int, UInt128[]>.Shard(vdaf, 6);
        // The leader share is the measurement share, then the proof share: add one to a proof element.
        var leader = (byte[])report.InputShares[0].Clone();
        AddOne<Field128>(leader, 16 + 2);
        var tampered = report with { InputShares = [leader, report.InputShares[1]] };

        var (honest, _) = Attack(vdaf, honest: [6], tampered);
        Assert.Equal(Counts(16, (6, 1)), honest.Result);
        Assert.Equal([VdafError.Verify], honest.Rejections);
    }

    [Fact]
    public void A_tampered_measurement_share_is_rejected_and_does_not_move_the_aggregate()
    {
        var vdaf = Prio3.Count();
        var report = AggregatorPair<Field64, bool, ulong>.Shard(vdaf, true);
        var leader = (byte[])report.InputShares[0].Clone();
        AddOne<Field64>(leader, 0); // the measurement share: 1 becomes 2
        var tampered = report with { InputShares = [leader, report.InputShares[1]] };

        var (honest, broken) = Attack(vdaf, honest: [true], tampered);
        Assert.Equal(1UL, honest.Result);
        Assert.Equal([VdafError.Verify], honest.Rejections);
        Assert.Equal(3UL, broken.Result);
    }

    [Fact]
    public void A_tampered_helper_seed_is_rejected()
    {
        var vdaf = Prio3.Sum(8);
        var report = AggregatorPair<Field128, UInt128, UInt128>.Shard(vdaf, 200);
        var helper = (byte[])report.InputShares[1].Clone();
        helper[0] ^= 1; // the helper's measurement seed now expands to an unrelated share

        var (honest, _) = Attack(vdaf, honest: new UInt128[] { 1 }, report with { InputShares = [report.InputShares[0], helper] });
        Assert.Equal((UInt128)1, honest.Result);
        Assert.Equal([VdafError.Verify], honest.Rejections);
    }

    [Fact]
    public void A_forged_joint_randomness_part_in_the_public_share_is_rejected()
    {
        var vdaf = Prio3.Histogram(16, 4);
        var report = AggregatorPair<Field128, int, UInt128[]>.Shard(vdaf, 2);
        var publicShare = (byte[])report.PublicShare.Clone();
        publicShare[20] ^= 0x80; // the helper's part, as the leader will read it

        var (honest, _) = Attack(vdaf, honest: [2], report with { PublicShare = publicShare });
        Assert.Equal(Counts(16, (2, 1)), honest.Result);
        Assert.Single(honest.Rejections); // the proof or, failing that, the joint randomness check
    }

    [Fact]
    public void Aggregators_with_different_verification_keys_reject_an_honest_report()
    {
        // The query randomness comes from the shared verification key; mismatched keys cannot verify.
        var vdaf = Prio3.Count();
        var report = AggregatorPair<Field64, bool, ulong>.Shard(vdaf, true);
        var (leaderState, leaderShare) = vdaf.PrepareInit(VerifyKey, 0, report.Nonce, report.PublicShare, report.InputShares[0]);
        var (_, helperShare) = vdaf.PrepareInit(RandomNumberGenerator.GetBytes(16), 1, report.Nonce, report.PublicShare, report.InputShares[1]);
        var error = Assert.Throws<VdafException>(() => vdaf.PrepareSharesToPrepare([leaderShare, helperShare]));
        Assert.Equal(VdafError.Verify, error.Error);
        Assert.NotNull(leaderState);
    }

    [Fact]
    public void Malformed_messages_are_refused_with_a_decode_error()
    {
        var vdaf = Prio3.Histogram(4, 2);
        var report = AggregatorPair<Field128, int, UInt128[]>.Shard(vdaf, 1);
        VdafError Refusal(Action action) => Assert.Throws<VdafException>(action).Error;

        Assert.Equal(VdafError.Decode, Refusal(() => vdaf.PrepareInit(VerifyKey, 0, report.Nonce, report.PublicShare, report.InputShares[0][..^1])));
        Assert.Equal(VdafError.Decode, Refusal(() => vdaf.PrepareInit(VerifyKey, 1, report.Nonce, report.PublicShare, report.InputShares[0])));
        Assert.Equal(VdafError.Decode, Refusal(() => vdaf.PrepareInit(VerifyKey, 0, report.Nonce, report.PublicShare[1..], report.InputShares[0])));
        Assert.Equal(VdafError.Decode, Refusal(() => vdaf.PrepareInit(VerifyKey, 0, report.Nonce[1..], report.PublicShare, report.InputShares[0])));

        // An element equal to the modulus is not a field element, even though it fits in 16 bytes.
        var leader = (byte[])report.InputShares[0].Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128LittleEndian(leader, Field128.Modulus);
        Assert.Equal(VdafError.Decode, Refusal(() => vdaf.PrepareInit(VerifyKey, 0, report.Nonce, report.PublicShare, leader)));

        var (state, share) = vdaf.PrepareInit(VerifyKey, 0, report.Nonce, report.PublicShare, report.InputShares[0]);
        Assert.Equal(VdafError.Decode, Refusal(() => vdaf.PrepareSharesToPrepare([share])));
        Assert.Equal(VdafError.Decode, Refusal(() => vdaf.PrepareSharesToPrepare([share, share[1..]])));
        Assert.Equal(VdafError.Decode, Refusal(() => vdaf.PrepareNext(state, new byte[15])));
        Assert.Equal(VdafError.Decode, Refusal(() => vdaf.Unshard([new byte[64]], 1)));
    }

    [Fact]
    public void Measurements_outside_the_type_are_refused_on_the_client()
    {
        VdafError Refusal(Action action) => Assert.Throws<VdafException>(action).Error;
        var nonce = new byte[16];
        Assert.Equal(VdafError.Input, Refusal(() => Prio3.Histogram(4, 2).Shard(4, nonce)));
        Assert.Equal(VdafError.Input, Refusal(() => Prio3.Histogram(4, 2).Shard(-1, nonce)));
        Assert.Equal(VdafError.Input, Refusal(() => Prio3.Sum(8).Shard(256, nonce)));
        Assert.Equal(VdafError.Input, Refusal(() => Prio3.SumVec(2, 4, 2).Shard([1UL, 16UL], nonce)));
        Assert.Equal(VdafError.Input, Refusal(() => Prio3.SumVec(2, 4, 2).Shard([1UL], nonce)));
        Assert.Equal(VdafError.Input, Refusal(() => Prio3.MultiHotHistogram(4, 2, 2).Shard([true, true, true, false], nonce)));
        Assert.Equal(VdafError.Input, Refusal(() => Prio3.Count().Shard(true, new byte[15])));
    }

    /// <summary>Runs the honest reports and the attack through a correct aggregator pair and a broken one.</summary>
    private static (AggregatorPair<T, TM, TR> Honest, AggregatorPair<T, TM, TR> Broken) Attack<T, TM, TR>(
        Prio3<T, TM, TR> vdaf, TM[] honest, Prio3Report attack) where T : unmanaged, IFftField<T>
    {
        var correct = new AggregatorPair<T, TM, TR>(vdaf, VerifyKey);
        var broken = new AggregatorPair<T, TM, TR>(vdaf, VerifyKey) { SkipVerification = true };
        foreach (var report in honest.Select(m => AggregatorPair<T, TM, TR>.Shard(vdaf, m)).Append(attack))
        {
            correct.Prepare(report);
            broken.Prepare(report);
        }
        Assert.Equal(honest.Length, correct.Accepted);
        return (correct, broken);
    }

    private static Prio3Report Cheat<T, TM, TR>(Prio3<T, TM, TR> vdaf, T[] encoded) where T : unmanaged, IFftField<T>
    {
        var nonce = RandomNumberGenerator.GetBytes(16);
        var shards = vdaf.ShardEncoded(encoded, nonce, RandomNumberGenerator.GetBytes(vdaf.RandSize));
        return new Prio3Report(nonce, shards.PublicShare, shards.InputShares);
    }

    private static void AddOne<T>(byte[] share, int element) where T : unmanaged, IFftField<T>
    {
        var span = share.AsSpan(element * T.EncodedSize, T.EncodedSize);
        Assert.True(T.TryRead(span, out var value));
        (value + T.One).Write(span);
    }

    private static UInt128[] Counts(int length, params (int Bucket, int Count)[] counts)
    {
        var result = new UInt128[length];
        foreach (var (bucket, count) in counts)
            result[bucket] = (UInt128)count;
        return result;
    }
}
