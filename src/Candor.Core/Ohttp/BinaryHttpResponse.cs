using System.Buffers;

namespace Candor.Ohttp;

/// <summary>
/// An HTTP response in Binary HTTP's known-length form (RFC 9292, framing indicator 1). Informational
/// (1xx) responses are read and skipped; only the final response is kept.
/// </summary>
internal sealed class BinaryHttpResponse
{
    public required int Status { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];
    public byte[] Content { get; init; } = [];

    public byte[] Encode() => Write().WrittenSpan.ToArray();

    /// <summary><see cref="Encode"/> padded with zeros to its size class (<see cref="BinaryHttpPadding"/>), so its length says nothing of its content.</summary>
    public byte[] EncodePadded()
    {
        var encoded = Write();
        var padded = new byte[BinaryHttpPadding.ClassOf(encoded.WrittenCount)]; // zero-filled: the padding RFC 9292 allows
        encoded.WrittenSpan.CopyTo(padded);
        return padded;
    }

    private ArrayBufferWriter<byte> Write()
    {
        var output = new ArrayBufferWriter<byte>(32 + Content.Length);
        QuicVarint.Write(output, 1);
        QuicVarint.Write(output, (ulong)Status);
        BinaryHttpFields.Write(output, Headers);
        QuicVarint.WritePrefixed(output, Content);
        QuicVarint.Write(output, 0); // no trailers
        return output;
    }

    public static BinaryHttpResponse Decode(ReadOnlySpan<byte> input)
    {
        ulong framing = QuicVarint.Read(ref input);
        if (framing != 1)
            throw new OhttpFormatException("not-a-response", $"Binary HTTP framing indicator {framing} is not a known-length response (1).");
        ulong status;
        while (true)
        {
            status = QuicVarint.Read(ref input);
            if (status is < 100 or > 599)
                throw new OhttpFormatException("bad-status", $"Status {status} is not an HTTP status code.");
            if (status >= 200)
                break;
            BinaryHttpFields.Read(ref input); // an informational response's fields
        }
        var headers = input.IsEmpty ? [] : BinaryHttpFields.Read(ref input);
        var content = input.IsEmpty ? [] : QuicVarint.ReadPrefixed(ref input).ToArray();
        if (!input.IsEmpty)
            BinaryHttpFields.Read(ref input);
        BinaryHttpFields.CheckPadding(input);
        return new BinaryHttpResponse { Status = (int)status, Headers = headers, Content = content };
    }
}
