using System.Buffers;
using System.Text;

namespace Candor.Ohttp;

/// <summary>
/// An HTTP request in Binary HTTP's known-length form (RFC 9292, framing indicator 0): control data,
/// header fields, content, trailers (ignored), padding. Reading accepts the truncated form the RFC
/// allows (trailing empty sections left out) and refuses anything else that does not parse exactly.
/// </summary>
internal sealed class BinaryHttpRequest
{
    /// <summary>Upper bound on header fields, so a small message cannot expand into a large object graph.</summary>
    public const int MaxFields = 64;

    public required string Method { get; init; }
    public string Scheme { get; init; } = "https";
    public string Authority { get; init; } = "";
    public required string Path { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];
    public byte[] Content { get; init; } = [];

    public byte[] Encode()
    {
        var output = new ArrayBufferWriter<byte>(64 + Content.Length);
        QuicVarint.Write(output, 0);
        QuicVarint.WritePrefixed(output, Encoding.ASCII.GetBytes(Method));
        QuicVarint.WritePrefixed(output, Encoding.ASCII.GetBytes(Scheme));
        QuicVarint.WritePrefixed(output, Encoding.ASCII.GetBytes(Authority));
        QuicVarint.WritePrefixed(output, Encoding.ASCII.GetBytes(Path));
        BinaryHttpFields.Write(output, Headers);
        QuicVarint.WritePrefixed(output, Content);
        QuicVarint.Write(output, 0); // no trailers
        return output.WrittenSpan.ToArray();
    }

    /// <summary><see cref="Encode"/> padded with zeros to its size class (<see cref="BinaryHttpPadding"/>), so its length says nothing of its content.</summary>
    public byte[] EncodePadded() => BinaryHttpPadding.Pad(Encode());

    public static BinaryHttpRequest Decode(ReadOnlySpan<byte> input)
    {
        ulong framing = QuicVarint.Read(ref input);
        if (framing != 0)
            throw new OhttpFormatException("not-a-request", $"Binary HTTP framing indicator {framing} is not a known-length request (0).");
        string method = BinaryHttpFields.Token(QuicVarint.ReadPrefixed(ref input), "method");
        string scheme = BinaryHttpFields.Token(QuicVarint.ReadPrefixed(ref input), "scheme");
        string authority = BinaryHttpFields.Token(QuicVarint.ReadPrefixed(ref input), "authority");
        string path = BinaryHttpFields.Token(QuicVarint.ReadPrefixed(ref input), "path");
        var headers = input.IsEmpty ? [] : BinaryHttpFields.Read(ref input);
        var content = input.IsEmpty ? [] : QuicVarint.ReadPrefixed(ref input).ToArray();
        if (!input.IsEmpty)
            BinaryHttpFields.Read(ref input); // trailers: read to validate framing, not used
        BinaryHttpFields.CheckPadding(input);
        if (method.Length == 0 || path.Length == 0 || path[0] != '/')
            throw new OhttpFormatException("bad-request-line", "The encapsulated request needs a method and a path starting with '/'.");
        return new BinaryHttpRequest { Method = method, Scheme = scheme, Authority = authority, Path = path, Headers = headers, Content = content };
    }
}
