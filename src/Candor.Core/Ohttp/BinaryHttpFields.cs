using System.Buffers;
using System.Text;

namespace Candor.Ohttp;

/// <summary>Known-length field sections and the small checks Binary HTTP reading shares.</summary>
internal static class BinaryHttpFields
{
    public static void Write(IBufferWriter<byte> output, IReadOnlyList<KeyValuePair<string, string>> fields)
    {
        var section = new ArrayBufferWriter<byte>();
        foreach (var (name, value) in fields)
        {
            // RFC 9292 requires lowercase field names, as HTTP/2 and HTTP/3 do.
            QuicVarint.WritePrefixed(section, Encoding.ASCII.GetBytes(name.ToLowerInvariant()));
            QuicVarint.WritePrefixed(section, Encoding.Latin1.GetBytes(value));
        }
        QuicVarint.WritePrefixed(output, section.WrittenSpan);
    }

    public static List<KeyValuePair<string, string>> Read(ref ReadOnlySpan<byte> input)
    {
        var section = QuicVarint.ReadPrefixed(ref input);
        var fields = new List<KeyValuePair<string, string>>();
        while (!section.IsEmpty)
        {
            if (fields.Count == BinaryHttpRequest.MaxFields)
                throw new OhttpFormatException("too-many-fields", $"More than {BinaryHttpRequest.MaxFields} header fields.");
            var name = QuicVarint.ReadPrefixed(ref section);
            var value = QuicVarint.ReadPrefixed(ref section);
            if (name.IsEmpty)
                throw new OhttpFormatException("bad-field", "A header field has an empty name.");
            foreach (byte b in name)
                if (b is <= 0x20 or >= 0x7f or (byte)':' || (b >= 'A' && b <= 'Z'))
                    throw new OhttpFormatException("bad-field", "A header field name is not a lowercase token.");
            foreach (byte b in value)
                if (b is 0 or (byte)'\r' or (byte)'\n')
                    throw new OhttpFormatException("bad-field", "A header field value holds a control character.");
            fields.Add(new(Encoding.ASCII.GetString(name), Encoding.Latin1.GetString(value)));
        }
        return fields;
    }

    public static string Token(ReadOnlySpan<byte> bytes, string what)
    {
        foreach (byte b in bytes)
            if (b is <= 0x20 or >= 0x7f)
                throw new OhttpFormatException("bad-request-line", $"The request's {what} holds a character it may not.");
        return Encoding.ASCII.GetString(bytes);
    }

    public static void CheckPadding(ReadOnlySpan<byte> rest)
    {
        if (rest.IndexOfAnyExcept((byte)0) >= 0)
            throw new OhttpFormatException("trailing-bytes", "Non-zero bytes follow the message (padding must be zeros).");
    }
}
