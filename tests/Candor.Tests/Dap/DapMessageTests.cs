using System.Security.Cryptography;
using Candor.Dap;

namespace Candor.Tests.Dap;

/// <summary>
/// The DAP-09 messages in the TLS presentation language: each round-trips byte for byte, has the layout the
/// draft gives (checked against hand-assembled bytes), and a truncated, padded or mis-tagged message is
/// refused with <see cref="DapDecodeException"/> rather than read as something else.
/// </summary>
public sealed class DapMessageTests
{
    private static readonly byte[] ReportId = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
    private static readonly HpkeCiphertext Ciphertext = new(7, [0xE1, 0xE2], [0xC1, 0xC2, 0xC3]);

    [Fact]
    public void A_report_has_the_drafts_layout_and_round_trips()
    {
        var report = new DapReport(new ReportMetadata(ReportId, 0x0102030405060708), [0xAA], Ciphertext, Ciphertext with { ConfigId = 8 });
        var bytes = report.Encode();
        byte[] ciphertext(byte id) => [id, 0, 2, 0xE1, 0xE2, 0, 0, 0, 3, 0xC1, 0xC2, 0xC3];
        byte[] expected = [.. ReportId, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1, 0xAA, .. ciphertext(7), .. ciphertext(8)];
        Assert.Equal(expected, bytes);
        Assert.Equal(report, DapReport.Decode(bytes));
    }

    [Fact]
    public void An_hpke_config_list_round_trips_and_an_empty_one_is_refused()
    {
        var key = DapHpkeKeyPair.Generate(3).Config;
        var list = DapHpkeConfigList.Encode([key, key with { Id = 4 }]);
        Assert.Equal([0, (byte)(list.Length - 2), 3, 0, 0x20, 0, 1, 0, 1, 0, 32], list[..11]);
        Assert.Equal([key, key with { Id = 4 }], DapHpkeConfigList.Decode(list));
        Assert.Throws<DapDecodeException>(() => DapHpkeConfigList.Decode([0, 0]));
        Assert.Throws<DapDecodeException>(() => DapHpkeConfigList.Decode(list[..^1]));
    }

    [Fact]
    public void Plaintext_input_shares_and_their_extensions_round_trip()
    {
        var share = new PlaintextInputShare([new DapExtension(0x1234, [9, 9])], [1, 2, 3]);
        var decoded = PlaintextInputShare.Decode(share.Encode());
        Assert.Equal(0x1234, decoded.Extensions.Single().Type);
        Assert.Equal([9, 9], decoded.Extensions.Single().Data);
        Assert.Equal([1, 2, 3], decoded.Payload);
        Assert.Equal([0, 0, 0, 0, 0, 2, 7, 7], new PlaintextInputShare([], [7, 7]).Encode());
    }

    [Fact]
    public void Input_share_aad_is_task_metadata_and_public_share()
    {
        var task = new byte[32];
        task[0] = 0xFF;
        var aad = InputShareAad.Encode(task, new ReportMetadata(ReportId, 1), [5]);
        Assert.Equal([.. task, .. ReportId, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 5], aad);
    }

    [Fact]
    public void Aggregation_job_messages_round_trip()
    {
        var init = new AggregationJobInitReq([], [
            new PrepareInit(new ReportShare(new ReportMetadata(ReportId, 3600), [1, 2], Ciphertext), PingPongMessage.Initialize([4, 5]).Encode()),
        ]);
        var bytes = init.Encode();
        Assert.Equal([0, 0, 0, 0, QueryType.TimeInterval], bytes[..5]);
        var decoded = AggregationJobInitReq.Decode(bytes);
        Assert.Equal(init.PrepareInits[0].ReportShare.Metadata, decoded.PrepareInits[0].ReportShare.Metadata);
        Assert.Equal(init.PrepareInits[0].ReportShare.EncryptedInputShare, decoded.PrepareInits[0].ReportShare.EncryptedInputShare);
        Assert.Equal(bytes, decoded.Encode());

        var resp = new AggregationJobResp([
            PrepareResp.Continue(ReportId, PingPongMessage.Finish([8]).Encode()),
            PrepareResp.Reject(ReportId, PrepareError.VdafPrepError),
            new PrepareResp(ReportId, PrepareRespState.Finished, null, null),
        ]);
        var respBytes = resp.Encode();
        Assert.Equal(respBytes, AggregationJobResp.Decode(respBytes).Encode());
        Assert.Equal(PrepareError.VdafPrepError, AggregationJobResp.Decode(respBytes).PrepareResps[1].Error);
    }

    [Fact]
    public void Ping_pong_messages_have_the_vdaf_drafts_layout()
    {
        Assert.Equal([0, 0, 0, 0, 2, 1, 2], PingPongMessage.Initialize([1, 2]).Encode());
        Assert.Equal([2, 0, 0, 0, 1, 9], PingPongMessage.Finish([9]).Encode());
        var cont = new PingPongMessage(PingPongType.Continue, [1], [2]);
        Assert.Equal([1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 2], cont.Encode());
        Assert.Equal(cont.PrepareShare, PingPongMessage.Decode(cont.Encode()).PrepareShare);
        Assert.Throws<DapDecodeException>(() => PingPongMessage.Decode([3, 0, 0, 0, 0]));
    }

    [Fact]
    public void Collection_messages_round_trip()
    {
        var interval = new DapInterval(7200, 3600);
        var request = new CollectionReq(interval, []);
        Assert.Equal([1, 0, 0, 0, 0, 0, 0, 0x1C, 0x20, 0, 0, 0, 0, 0, 0, 0x0E, 0x10, 0, 0, 0, 0], request.Encode());
        Assert.Equal(request, CollectionReq.Decode(request.Encode()));

        var shareReq = new AggregateShareReq(interval, [], 12, RandomNumberGenerator.GetBytes(32));
        Assert.Equal(shareReq, AggregateShareReq.Decode(shareReq.Encode()));
        var share = new AggregateShare(Ciphertext);
        Assert.Equal(Ciphertext, AggregateShare.Decode(share.Encode()).EncryptedAggregateShare);
        var collection = new DapCollection(12, interval, Ciphertext, Ciphertext with { ConfigId = 1 });
        var decoded = DapCollection.Decode(collection.Encode());
        Assert.Equal((12UL, interval, Ciphertext, Ciphertext with { ConfigId = 1 }), (decoded.ReportCount, decoded.Interval, decoded.LeaderShare, decoded.HelperShare));
        Assert.Equal([.. new byte[32], 0, 0, 0, 0, 1, .. request.Encode()[1..17]], AggregateShareAad.Encode(new byte[32], [], interval));
    }

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "report: truncated", new DapReport(new ReportMetadata(ReportId, 1), [], Ciphertext, Ciphertext).Encode()[..^1] },
        { "report: a byte left over", [.. new DapReport(new ReportMetadata(ReportId, 1), [], Ciphertext, Ciphertext).Encode(), 0] },
        { "report: a public share longer than the message", [.. ReportId, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 1] },
        { "report: an empty encapsulated key", [.. ReportId, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 1, 1] },
        { "collection request: fixed_size query", [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "collection request: an interval ending past the largest time", [1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0] },
        { "aggregation job: no reports", [0, 0, 0, 0, 1, 0, 0, 0, 0] },
        { "aggregation job: fixed_size", [0, 0, 0, 0, 2, 0, 0, 0, 0] },
        { "aggregation job response: unknown state", [0, 0, 0, 17, .. ReportId, 3] },
        { "aggregation job response: unknown prepare error", [0, 0, 0, 18, .. ReportId, 2, 10] },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_messages_are_refused(string what, byte[] bytes)
    {
        Assert.Throws<DapDecodeException>(() =>
        {
            if (what.StartsWith("report"))
                DapReport.Decode(bytes);
            else if (what.StartsWith("collection request"))
                CollectionReq.Decode(bytes);
            else if (what.StartsWith("aggregation job response"))
                AggregationJobResp.Decode(bytes);
            else
                AggregationJobInitReq.Decode(bytes);
        });
    }
}
