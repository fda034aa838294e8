using Candor.Hpke;

namespace Candor.Dap;

/// <summary>HpkeConfig (DAP-09, section 4.5.1): an aggregator's or the collector's public key and algorithms.</summary>
internal sealed record DapHpkeConfig(byte Id, ushort KemId, ushort KdfId, ushort AeadId, byte[] PublicKey)
{
    public void Encode(DapWriter w) => w.U8(Id).U16(KemId).U16(KdfId).U16(AeadId).Opaque16(PublicKey);

    public static DapHpkeConfig Decode(ref DapReader r) => new(r.U8(), r.U16(), r.U16(), r.U16(), r.Opaque16(min: 1));

    public byte[] Encode()
    {
        var w = new DapWriter();
        Encode(w);
        return w.ToArray();
    }

    public static DapHpkeConfig Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new DapReader(bytes);
        var config = Decode(ref r);
        r.End();
        return config;
    }

    /// <summary>Whether Candor's HPKE implements this configuration's algorithms.</summary>
    public bool IsSupported => Dhkem.IsKnown(KemId) && HpkeSuite.IsKnown(KdfId, AeadId);

    /// <summary>The suite, or <see cref="NotSupportedException"/> for algorithms Candor does not implement.</summary>
    public HpkeSuite Suite() => IsSupported
        ? new HpkeSuite((KemId)KemId, (KdfId)KdfId, (AeadId)AeadId)
        : throw new NotSupportedException($"HPKE configuration {Id} uses KEM 0x{KemId:x4}, KDF 0x{KdfId:x4}, AEAD 0x{AeadId:x4}, which Candor does not implement");

    public bool Equals(DapHpkeConfig? other) => other is not null && Id == other.Id && KemId == other.KemId &&
        KdfId == other.KdfId && AeadId == other.AeadId && PublicKey.AsSpan().SequenceEqual(other.PublicKey);

    public override int GetHashCode() => HashCode.Combine(Id, KemId, KdfId, AeadId, PublicKey.Length);
}

/// <summary>HpkeConfigList: HpkeConfig HpkeConfigList&lt;1..2^16-1&gt;, in decreasing order of preference.</summary>
internal static class DapHpkeConfigList
{
    public static byte[] Encode(IReadOnlyList<DapHpkeConfig> configs)
    {
        if (configs.Count == 0)
            throw new ArgumentException("an HPKE configuration list holds at least one configuration", nameof(configs));
        return new DapWriter().Vector16(w => { foreach (var c in configs) c.Encode(w); }).ToArray();
    }

    public static IReadOnlyList<DapHpkeConfig> Decode(ReadOnlySpan<byte> bytes)
    {
        var outer = new DapReader(bytes);
        var r = new DapReader(outer.Vector16());
        outer.End();
        var configs = new List<DapHpkeConfig>();
        while (r.Remaining > 0)
            configs.Add(DapHpkeConfig.Decode(ref r));
        if (configs.Count == 0)
            throw new DapDecodeException("an empty HPKE configuration list");
        return configs;
    }
}

/// <summary>HpkeCiphertext: the configuration it was sealed to, the encapsulated key and the ciphertext.</summary>
internal sealed record HpkeCiphertext(byte ConfigId, byte[] Enc, byte[] Payload)
{
    public void Encode(DapWriter w) => w.U8(ConfigId).Opaque16(Enc).Opaque32(Payload);

    public static HpkeCiphertext Decode(ref DapReader r) => new(r.U8(), r.Opaque16(min: 1), r.Opaque32(min: 1));

    public bool Equals(HpkeCiphertext? other) => other is not null && ConfigId == other.ConfigId &&
        Enc.AsSpan().SequenceEqual(other.Enc) && Payload.AsSpan().SequenceEqual(other.Payload);

    public override int GetHashCode() => HashCode.Combine(ConfigId, Enc.Length, Payload.Length);
}
