using System.Text.Json;
using Candor.Vdaf;

namespace Candor.Tests.Vdaf;

/// <summary>
/// Every VDAF-08 Prio3 vector, byte for byte: the client's public and input shares, each aggregator's
/// prepare share, the prepare message, the output shares, the aggregate shares and the result.
/// </summary>
public sealed class Prio3VectorTests
{
    public static TheoryData<string> Vectors() => new(Directory.GetFiles(Path.GetDirectoryName(VectorPath())!, "Prio3*.json").Select(Path.GetFileName).Order()!);

    private static string VectorPath([System.Runtime.CompilerServices.CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "Vectors", "README.md");

    [Fact]
    public void All_ten_draft_vectors_are_vendored()
    {
        Assert.Equal(10, Vectors().Count);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Prio3_reproduces_the_draft_vector(string file)
    {
        var v = VdafVectors.Load(file);
        var shares = v.GetProperty("shares").GetInt32();
        int Param(string name) => v.GetProperty(name).GetInt32();
        switch (file.Split('_')[0])
        {
            case "Prio3Count":
                Check(Prio3.Count(shares), v, m => m.GetInt32() == 1, r => Assert.Equal(v.GetProperty("agg_result").GetUInt64(), r));
                break;
            case "Prio3Sum":
                Check(Prio3.Sum(Param("bits"), shares), v, m => (UInt128)m.GetUInt64(), r => Assert.Equal((UInt128)v.GetProperty("agg_result").GetUInt64(), r));
                break;
            case "Prio3SumVec":
                Check(Prio3.SumVec(Param("length"), Param("bits"), Param("chunk_length"), shares), v,
                    m => m.EnumerateArray().Select(e => e.GetUInt64()).ToArray(), r => Assert.Equal(Expected(v), r));
                break;
            case "Prio3Histogram":
                Check(Prio3.Histogram(Param("length"), Param("chunk_length"), shares), v, m => m.GetInt32(), r => Assert.Equal(Expected(v), r));
                break;
            case "Prio3MultiHotHistogram":
                Check(Prio3.MultiHotHistogram(Param("length"), Param("max_count"), Param("chunk_length"), shares), v,
                    m => m.EnumerateArray().Select(e => e.GetInt32() == 1).ToArray(), r => Assert.Equal(Expected(v), r));
                break;
            default:
                throw new InvalidOperationException("no test for " + file);
        }
    }

    private static UInt128[] Expected(JsonElement v) => v.GetProperty("agg_result").EnumerateArray().Select(e => (UInt128)e.GetUInt64()).ToArray();

    private static void Check<T, TMeasurement, TResult>(Prio3<T, TMeasurement, TResult> vdaf, JsonElement v, Func<JsonElement, TMeasurement> measurement, Action<TResult> checkResult)
        where T : unmanaged, IFftField<T>
    {
        Assert.Equal(vdaf.Shares, v.GetProperty("shares").GetInt32());
        var verifyKey = v.GetProperty("verify_key").Hex();
        var aggregates = Enumerable.Range(0, vdaf.Shares).Select(_ => vdaf.NewAggregateShare()).ToArray();
        var reports = 0;
        foreach (var prep in v.GetProperty("prep").EnumerateArray())
        {
            reports++;
            var nonce = prep.GetProperty("nonce").Hex();
            var rand = prep.GetProperty("rand").Hex();
            Assert.Equal(vdaf.RandSize, rand.Length);

            var shards = vdaf.Shard(measurement(prep.GetProperty("measurement")), nonce, rand);
            Assert.Equal(prep.GetProperty("public_share").Hex(), shards.PublicShare);
            var expectedInputShares = prep.GetProperty("input_shares").EnumerateArray().Select(e => e.Hex()).ToArray();
            Assert.Equal(expectedInputShares, shards.InputShares);

            // Each aggregator starts from the vector's bytes, not from our own shard.
            var states = new Prio3PrepareState<T>[vdaf.Shares];
            var prepareShares = new byte[vdaf.Shares][];
            for (var id = 0; id < vdaf.Shares; id++)
                (states[id], prepareShares[id]) = vdaf.PrepareInit(verifyKey, id, nonce, prep.GetProperty("public_share").Hex(), expectedInputShares[id]);
            var expectedPrepareShares = prep.GetProperty("prep_shares")[0].EnumerateArray().Select(e => e.Hex()).ToArray();
            Assert.Equal(expectedPrepareShares, prepareShares);

            var message = vdaf.PrepareSharesToPrepare(expectedPrepareShares);
            Assert.Equal(prep.GetProperty("prep_messages")[0].Hex(), message);

            var expectedOutputShares = prep.GetProperty("out_shares").EnumerateArray().ToArray();
            for (var id = 0; id < vdaf.Shares; id++)
            {
                var outputShare = vdaf.PrepareNext(states[id], message);
                var hex = outputShare.Select(x =>
                {
                    var bytes = new byte[T.EncodedSize];
                    x.Write(bytes);
                    return Convert.ToHexStringLower(bytes);
                });
                Assert.Equal(expectedOutputShares[id].EnumerateArray().Select(e => e.GetString()), hex);
                vdaf.Accumulate(aggregates[id], outputShare);
            }
        }

        var encodedAggregates = aggregates.Select(a => vdaf.EncodeAggregateShare(a)).ToArray();
        Assert.Equal(v.GetProperty("agg_shares").EnumerateArray().Select(e => e.Hex()), encodedAggregates);
        checkResult(vdaf.Unshard(encodedAggregates, reports));
    }
}
