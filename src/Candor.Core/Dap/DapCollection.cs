namespace Candor.Dap;

/// <summary>Interval: [start, start + duration), in seconds since the UNIX epoch.</summary>
internal readonly record struct DapInterval(ulong Start, ulong Duration)
{
    public ulong End => Start + Duration;

    public void Encode(DapWriter w) => w.U64(Start).U64(Duration);

    public static DapInterval Decode(ref DapReader r)
    {
        var interval = new DapInterval(r.U64(), r.U64());
        if (interval.Start + interval.Duration < interval.Start)
            throw new DapDecodeException("an interval that ends past the largest time");
        return interval;
    }

    public bool Contains(ulong time) => time >= Start && time < End;

    public bool Overlaps(DapInterval other) => Start < other.End && other.Start < End;
}

/// <summary>
/// Query and BatchSelector for a time_interval task: the query type followed by the batch interval (the
/// two have the same encoding for this query type).
/// </summary>
internal static class TimeIntervalSelector
{
    public static void Encode(DapWriter w, DapInterval interval)
    {
        w.U8(QueryType.TimeInterval);
        interval.Encode(w);
    }

    public static DapInterval Decode(ref DapReader r)
    {
        var type = r.U8();
        if (type != QueryType.TimeInterval)
            throw new DapDecodeException($"query type {type} is not time_interval, the only one this task uses");
        return DapInterval.Decode(ref r);
    }
}

/// <summary>CollectionReq (section 4.7.1): the Collector's query and aggregation parameter.</summary>
internal sealed record CollectionReq(DapInterval BatchInterval, byte[] AggregationParameter)
{
    public byte[] Encode()
    {
        var w = new DapWriter();
        TimeIntervalSelector.Encode(w, BatchInterval);
        return w.Opaque32(AggregationParameter).ToArray();
    }

    public static CollectionReq Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new DapReader(bytes);
        var request = new CollectionReq(TimeIntervalSelector.Decode(ref r), r.Opaque32());
        r.End();
        return request;
    }

    public bool Equals(CollectionReq? other) => other is not null && BatchInterval == other.BatchInterval &&
        AggregationParameter.AsSpan().SequenceEqual(other.AggregationParameter);

    public override int GetHashCode() => BatchInterval.GetHashCode();
}

/// <summary>Collection: the report count, the interval the reports span and both encrypted aggregate shares.</summary>
internal sealed record DapCollection(ulong ReportCount, DapInterval Interval, HpkeCiphertext LeaderShare, HpkeCiphertext HelperShare)
{
    public byte[] Encode()
    {
        var w = new DapWriter().U8(QueryType.TimeInterval).U64(ReportCount);
        Interval.Encode(w);
        LeaderShare.Encode(w);
        HelperShare.Encode(w);
        return w.ToArray();
    }

    public static DapCollection Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new DapReader(bytes);
        var type = r.U8();
        if (type != QueryType.TimeInterval)
            throw new DapDecodeException($"query type {type} is not time_interval");
        var collection = new DapCollection(r.U64(), DapInterval.Decode(ref r), HpkeCiphertext.Decode(ref r), HpkeCiphertext.Decode(ref r));
        r.End();
        return collection;
    }
}

/// <summary>AggregateShareReq (section 4.7.2): the batch, the parameter, and the Leader's count and checksum.</summary>
internal sealed record AggregateShareReq(DapInterval BatchInterval, byte[] AggregationParameter, ulong ReportCount, byte[] Checksum)
{
    public const int ChecksumSize = 32;

    public byte[] Encode()
    {
        var w = new DapWriter();
        TimeIntervalSelector.Encode(w, BatchInterval);
        return w.Opaque32(AggregationParameter).U64(ReportCount).Fixed(Checksum).ToArray();
    }

    public static AggregateShareReq Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new DapReader(bytes);
        var request = new AggregateShareReq(TimeIntervalSelector.Decode(ref r), r.Opaque32(), r.U64(), r.Fixed(ChecksumSize));
        r.End();
        return request;
    }

    public bool Equals(AggregateShareReq? other) => other is not null && BatchInterval == other.BatchInterval && ReportCount == other.ReportCount &&
        AggregationParameter.AsSpan().SequenceEqual(other.AggregationParameter) && Checksum.AsSpan().SequenceEqual(other.Checksum);

    public override int GetHashCode() => HashCode.Combine(BatchInterval, ReportCount);
}

/// <summary>AggregateShare: the Helper's aggregate share, sealed to the Collector.</summary>
internal sealed record AggregateShare(HpkeCiphertext EncryptedAggregateShare)
{
    public byte[] Encode()
    {
        var w = new DapWriter();
        EncryptedAggregateShare.Encode(w);
        return w.ToArray();
    }

    public static AggregateShare Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new DapReader(bytes);
        var share = new AggregateShare(HpkeCiphertext.Decode(ref r));
        r.End();
        return share;
    }
}

/// <summary>AggregateShareAad: binds an encrypted aggregate share to its task, parameter and batch.</summary>
internal static class AggregateShareAad
{
    public static byte[] Encode(ReadOnlySpan<byte> taskId, ReadOnlySpan<byte> aggregationParameter, DapInterval batchInterval)
    {
        var w = new DapWriter().Fixed(taskId).Opaque32(aggregationParameter);
        TimeIntervalSelector.Encode(w, batchInterval);
        return w.ToArray();
    }
}
