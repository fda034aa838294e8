namespace Candor.Collector.Azafea;

/// <summary>One singular event of an upload: the event UUID, when it happened (nanoseconds since the sender's boot) and its payload.</summary>
public sealed record AzafeaSingular(Guid Event, long RelativeTimestamp, GVariantValue? Payload);

/// <summary>One aggregate event: the event UUID, the period it counts (<c>YYYY-MM-DD</c> or <c>YYYY-MM</c>, sender's local time), the count and its payload.</summary>
public sealed record AzafeaAggregate(Guid Event, string PeriodStart, uint Count, GVariantValue? Payload);

/// <summary>
/// An eos-event-recorder-daemon upload in network protocol version 3, the format Azafea's proxy takes
/// (docs/linux.md, "Migrating from an Azafea deployment"; the format facts are in this folder's README.md):
/// <c>(xxsa{ss}ya(aysxmv)a(ayssumv))</c>. Only what a mapping can use is kept. The image id, the site
/// labels, the dual-boot and live flags and every event's OS version are read (they must be well-formed
/// for the upload to be) and dropped here, before anything else sees them; the two request timestamps
/// survive only until each singular event's day is worked out.
/// </summary>
public sealed record AzafeaRequest(long RelativeTimestamp, long AbsoluteTimestamp,
    IReadOnlyList<AzafeaSingular> Singulars, IReadOnlyList<AzafeaAggregate> Aggregates)
{
    public const string VariantType = "(xxsa{ss}ya(aysxmv)a(ayssumv))";

    /// <exception cref="GVariantFormatException">Not a version 3 request in normal form, or an event id that is not 16 bytes.</exception>
    public static AzafeaRequest Parse(ReadOnlySpan<byte> body)
    {
        var root = GVariantReader.Read(VariantType, body).Children;
        // Children 2 (image id), 3 (site), 4 (flags): machine-level fields, deliberately not kept.
        var singulars = root[5].Children.Select(e => new AzafeaSingular(
            EventId(e.Children[0]), (long)e.Children[2].Scalar!, Payload(e.Children[3]))).ToList();
        var aggregates = root[6].Children.Select(e => new AzafeaAggregate(
            EventId(e.Children[0]), (string)e.Children[2].Scalar!, checked((uint)(long)e.Children[3].Scalar!), Payload(e.Children[4]))).ToList();
        return new AzafeaRequest((long)root[0].Scalar!, (long)root[1].Scalar!, singulars, aggregates);
    }

    /// <summary>The event UUID as Azafea reads it: <c>UUID(bytes=...)</c>, RFC 4122 byte order.</summary>
    private static Guid EventId(GVariantValue ay) =>
        ay.Scalar is byte[] { Length: 16 } bytes ? new Guid(bytes, bigEndian: true)
            : throw new GVariantFormatException("an event id must be 16 bytes");

    /// <summary>An <c>mv</c> payload: null when nothing, else the value inside its variant(s).</summary>
    private static GVariantValue? Payload(GVariantValue maybe) =>
        maybe.Children.Count == 0 ? null : maybe.Children[0].Unwrapped();
}
