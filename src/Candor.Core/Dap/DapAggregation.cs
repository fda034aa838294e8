namespace Candor.Dap;

/// <summary>ReportShare: one report as the Leader forwards it to the Helper (the Helper's ciphertext only).</summary>
internal sealed record ReportShare(ReportMetadata Metadata, byte[] PublicShare, HpkeCiphertext EncryptedInputShare)
{
    public void Encode(DapWriter w)
    {
        Metadata.Encode(w);
        w.Opaque32(PublicShare);
        EncryptedInputShare.Encode(w);
    }

    public static ReportShare Decode(ref DapReader r) => new(ReportMetadata.Decode(ref r), r.Opaque32(), HpkeCiphertext.Decode(ref r));
}

/// <summary>PrepareInit: a report share and the Leader's first ping-pong message for it.</summary>
internal sealed record PrepareInit(ReportShare ReportShare, byte[] Payload)
{
    public void Encode(DapWriter w)
    {
        ReportShare.Encode(w);
        w.Opaque32(Payload);
    }

    public static PrepareInit Decode(ref DapReader r) => new(ReportShare.Decode(ref r), r.Opaque32());
}

/// <summary>The ping-pong message types of VDAF-08, section 5.8.</summary>
internal enum PingPongType : byte
{
    Initialize = 0,
    Continue = 1,
    Finish = 2,
}

/// <summary>
/// A ping-pong message (VDAF-08, section 5.8). For Prio3 (one round) the Leader sends Initialize with its
/// prepare share and the Helper answers Finish with the prepare message.
/// </summary>
internal sealed record PingPongMessage(PingPongType Type, byte[]? PrepareMessage, byte[]? PrepareShare)
{
    public static PingPongMessage Initialize(byte[] prepareShare) => new(PingPongType.Initialize, null, prepareShare);

    public static PingPongMessage Finish(byte[] prepareMessage) => new(PingPongType.Finish, prepareMessage, null);

    public byte[] Encode()
    {
        var w = new DapWriter().U8((byte)Type);
        if (Type is PingPongType.Continue or PingPongType.Finish)
            w.Opaque32(PrepareMessage!);
        if (Type is PingPongType.Initialize or PingPongType.Continue)
            w.Opaque32(PrepareShare!);
        return w.ToArray();
    }

    public static PingPongMessage Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new DapReader(bytes);
        var type = r.U8();
        PingPongMessage message = type switch
        {
            0 => new(PingPongType.Initialize, null, r.Opaque32()),
            1 => new(PingPongType.Continue, r.Opaque32(), r.Opaque32()),
            2 => new(PingPongType.Finish, r.Opaque32(), null),
            _ => throw new DapDecodeException($"unknown ping-pong message type {type}"),
        };
        r.End();
        return message;
    }
}

/// <summary>PrepareError (section 4.6.1.2): why an aggregator rejected one report of an aggregation job.</summary>
internal enum PrepareError : byte
{
    BatchCollected = 0,
    ReportReplayed = 1,
    ReportDropped = 2,
    HpkeUnknownConfigId = 3,
    HpkeDecryptError = 4,
    VdafPrepError = 5,
    BatchSaturated = 6,
    TaskExpired = 7,
    InvalidMessage = 8,
    ReportTooEarly = 9,
}

internal enum PrepareRespState : byte
{
    Continue = 0,
    Finished = 1,
    Reject = 2,
}

/// <summary>PrepareResp: the Helper's answer for one report.</summary>
internal sealed record PrepareResp(byte[] ReportId, PrepareRespState State, byte[]? Payload, PrepareError? Error)
{
    public static PrepareResp Continue(byte[] reportId, byte[] payload) => new(reportId, PrepareRespState.Continue, payload, null);

    public static PrepareResp Reject(byte[] reportId, PrepareError error) => new(reportId, PrepareRespState.Reject, null, error);

    public void Encode(DapWriter w)
    {
        w.Fixed(ReportId).U8((byte)State);
        if (State == PrepareRespState.Continue)
            w.Opaque32(Payload!);
        else if (State == PrepareRespState.Reject)
            w.U8((byte)Error!.Value);
    }

    public static PrepareResp Decode(ref DapReader r)
    {
        var id = r.Fixed(ReportMetadata.ReportIdSize);
        var state = r.U8();
        return state switch
        {
            0 => Continue(id, r.Opaque32()),
            1 => new PrepareResp(id, PrepareRespState.Finished, null, null),
            2 => r.U8() is var e && e <= (byte)PrepareError.ReportTooEarly
                ? Reject(id, (PrepareError)e)
                : throw new DapDecodeException($"unknown prepare error {e}"),
            _ => throw new DapDecodeException($"unknown prepare response state {state}"),
        };
    }
}

/// <summary>DAP query types; Candor implements time_interval only.</summary>
internal static class QueryType
{
    public const byte TimeInterval = 1;
    public const byte FixedSize = 2;
}

/// <summary>
/// AggregationJobInitReq: the aggregation parameter (empty for Prio3), the partial batch selector (for
/// time_interval, the query type alone) and the reports.
/// </summary>
internal sealed record AggregationJobInitReq(byte[] AggregationParameter, IReadOnlyList<PrepareInit> PrepareInits)
{
    public byte[] Encode() => new DapWriter()
        .Opaque32(AggregationParameter)
        .U8(QueryType.TimeInterval)
        .Vector32(w => { foreach (var p in PrepareInits) p.Encode(w); })
        .ToArray();

    public static AggregationJobInitReq Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new DapReader(bytes);
        var parameter = r.Opaque32();
        var queryType = r.U8();
        if (queryType != QueryType.TimeInterval)
            throw new DapDecodeException($"query type {queryType} is not time_interval, the only one this task uses");
        var inner = new DapReader(r.Vector32());
        r.End();
        var inits = new List<PrepareInit>();
        while (inner.Remaining > 0)
            inits.Add(PrepareInit.Decode(ref inner));
        if (inits.Count == 0)
            throw new DapDecodeException("an aggregation job without reports");
        return new AggregationJobInitReq(parameter, inits);
    }
}

/// <summary>AggregationJobResp: one PrepareResp per report, in the order of the request.</summary>
internal sealed record AggregationJobResp(IReadOnlyList<PrepareResp> PrepareResps)
{
    public byte[] Encode() => new DapWriter().Vector32(w => { foreach (var p in PrepareResps) p.Encode(w); }).ToArray();

    /// <summary>
    /// This answer with every report id zeroed: what a Helper keeps for retries. The ids are the request's, in its order,
    /// so a retry (the same request, byte for byte) gives them back (<see cref="WithReportIdsOf"/>); kept in the answer, they
    /// would list which reports one job held, which is what the key-order rewrite takes out of every other table.
    /// </summary>
    public AggregationJobResp WithoutReportIds() =>
        new([.. PrepareResps.Select(p => p with { ReportId = new byte[ReportMetadata.ReportIdSize] })]);

    /// <summary>The answer <see cref="WithoutReportIds"/> kept, with the ids of the request it answered put back in order.</summary>
    public AggregationJobResp WithReportIdsOf(AggregationJobInitReq request) =>
        request.PrepareInits.Count == PrepareResps.Count
            ? new([.. PrepareResps.Select((p, i) => p with { ReportId = request.PrepareInits[i].ReportShare.Metadata.ReportId })])
            : throw new DapDecodeException($"a kept answer for {PrepareResps.Count} reports does not answer a request with {request.PrepareInits.Count}");

    public static AggregationJobResp Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new DapReader(bytes);
        var inner = new DapReader(r.Vector32());
        r.End();
        var resps = new List<PrepareResp>();
        while (inner.Remaining > 0)
            resps.Add(PrepareResp.Decode(ref inner));
        if (resps.Count == 0)
            throw new DapDecodeException("an aggregation job response without reports");
        return new AggregationJobResp(resps);
    }
}
