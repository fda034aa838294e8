namespace Candor.Dap;

/// <summary>ReportMetadata: a random 16-byte report id (the VDAF nonce) and the client's rounded time.</summary>
internal sealed record ReportMetadata(byte[] ReportId, ulong Time)
{
    public const int ReportIdSize = 16;

    public void Encode(DapWriter w) => w.Fixed(ReportId).U64(Time);

    public static ReportMetadata Decode(ref DapReader r) => new(r.Fixed(ReportIdSize), r.U64());

    public bool Equals(ReportMetadata? other) => other is not null && Time == other.Time && ReportId.AsSpan().SequenceEqual(other.ReportId);

    public override int GetHashCode() => HashCode.Combine(Time, ReportId[0], ReportId[15]);
}

/// <summary>Report (section 4.5.2): what a client uploads to the Leader; the Helper's share is sealed to the Helper.</summary>
internal sealed record DapReport(ReportMetadata Metadata, byte[] PublicShare, HpkeCiphertext LeaderShare, HpkeCiphertext HelperShare)
{
    public byte[] Encode()
    {
        var w = new DapWriter();
        Metadata.Encode(w);
        w.Opaque32(PublicShare);
        LeaderShare.Encode(w);
        HelperShare.Encode(w);
        return w.ToArray();
    }

    public static DapReport Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new DapReader(bytes);
        var report = new DapReport(ReportMetadata.Decode(ref r), r.Opaque32(), HpkeCiphertext.Decode(ref r), HpkeCiphertext.Decode(ref r));
        r.End();
        return report;
    }

    public bool Equals(DapReport? other) => other is not null && Metadata.Equals(other.Metadata) &&
        PublicShare.AsSpan().SequenceEqual(other.PublicShare) && LeaderShare.Equals(other.LeaderShare) && HelperShare.Equals(other.HelperShare);

    public override int GetHashCode() => Metadata.GetHashCode();
}

/// <summary>Extension: a type and its data. DAP-09 registers no extension type, so any extension makes a report invalid.</summary>
internal sealed record DapExtension(ushort Type, byte[] Data);

/// <summary>PlaintextInputShare: what an aggregator finds inside its HPKE ciphertext.</summary>
internal sealed record PlaintextInputShare(IReadOnlyList<DapExtension> Extensions, byte[] Payload)
{
    public byte[] Encode() => new DapWriter()
        .Vector16(w => { foreach (var e in Extensions) w.U16(e.Type).Opaque16(e.Data); })
        .Opaque32(Payload)
        .ToArray();

    public static PlaintextInputShare Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new DapReader(bytes);
        var inner = new DapReader(r.Vector16());
        var extensions = new List<DapExtension>();
        while (inner.Remaining > 0)
            extensions.Add(new DapExtension(inner.U16(), inner.Opaque16()));
        var share = new PlaintextInputShare(extensions, r.Opaque32());
        r.End();
        return share;
    }
}

/// <summary>InputShareAad: binds an input share's ciphertext to its task, metadata and public share.</summary>
internal static class InputShareAad
{
    public static byte[] Encode(ReadOnlySpan<byte> taskId, ReportMetadata metadata, ReadOnlySpan<byte> publicShare)
    {
        var w = new DapWriter().Fixed(taskId);
        metadata.Encode(w);
        return w.Opaque32(publicShare).ToArray();
    }
}
