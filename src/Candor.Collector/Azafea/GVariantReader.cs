using System.Buffers.Binary;
using System.Text;

namespace Candor.Collector.Azafea;

/// <summary>GVariant data that is not a value of the expected type in normal form.</summary>
public sealed class GVariantFormatException(string message) : FormatException(message);

/// <summary>
/// Reads serialized GVariant data (little-endian, as eos-event-recorder-daemon sends it) in normal form
/// only: GLib's own loader accepts any bytes and substitutes defaults for what it cannot read, which is
/// why Azafea checks <c>is_normal_form()</c> before using a request. Here a value that is not in normal
/// form (bad framing offsets, non-zero padding, a boolean other than 0 or 1, a string without its single
/// closing nul or not UTF-8, a variant whose type string is not one type) throws, so that a truncated or
/// garbled upload is refused whole rather than read as zeros. Nesting and type strings are bounded so a
/// hostile body cannot exhaust the stack.
/// </summary>
public static class GVariantReader
{
    private const int MaxDepth = 64;
    private const int MaxTypeLength = 255;
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static GVariantValue Read(string type, ReadOnlySpan<byte> data)
    {
        if (type.Length > MaxTypeLength || TypeEnd(type, 0, 0) != type.Length)
            throw new ArgumentException($"'{type}' is not one GVariant type", nameof(type));
        return Read(type, data, 0);
    }

    private static GVariantValue Read(string type, ReadOnlySpan<byte> data, int depth)
    {
        if (depth > MaxDepth)
            throw new GVariantFormatException($"values nested more than {MaxDepth} deep");
        switch (type[0])
        {
            case 'y': return Scalar(type, (long)Fixed(data, 1)[0]);
            case 'b':
                byte b = Fixed(data, 1)[0];
                return b <= 1 ? Scalar(type, b == 1) : throw new GVariantFormatException($"a boolean must be 0 or 1, not {b}");
            case 'n': return Scalar(type, (long)BinaryPrimitives.ReadInt16LittleEndian(Fixed(data, 2)));
            case 'q': return Scalar(type, (long)BinaryPrimitives.ReadUInt16LittleEndian(Fixed(data, 2)));
            case 'i' or 'h': return Scalar(type, (long)BinaryPrimitives.ReadInt32LittleEndian(Fixed(data, 4)));
            case 'u': return Scalar(type, (long)BinaryPrimitives.ReadUInt32LittleEndian(Fixed(data, 4)));
            case 'x': return Scalar(type, BinaryPrimitives.ReadInt64LittleEndian(Fixed(data, 8)));
            case 't': return Scalar(type, BinaryPrimitives.ReadUInt64LittleEndian(Fixed(data, 8)));
            case 'd': return Scalar(type, BinaryPrimitives.ReadDoubleLittleEndian(Fixed(data, 8)));
            case 's' or 'o' or 'g': return Scalar(type, ReadString(data));
            case 'v': return ReadVariant(data, depth);
            case 'm': return ReadMaybe(type, data, depth);
            case 'a': return ReadArray(type, data, depth);
            default: return ReadTuple(type, data, depth); // '(' or '{'
        }
    }

    private static GVariantValue Scalar(string type, object value) => new(type, value, []);

    private static ReadOnlySpan<byte> Fixed(ReadOnlySpan<byte> data, int size) =>
        data.Length == size ? data : throw new GVariantFormatException($"a {size}-byte value has {data.Length} bytes");

    private static string ReadString(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0 || data[^1] != 0 || data[..^1].IndexOf((byte)0) >= 0)
            throw new GVariantFormatException("a string must end with its only nul byte");
        try
        {
            return StrictUtf8.GetString(data[..^1]);
        }
        catch (DecoderFallbackException)
        {
            throw new GVariantFormatException("a string is not valid UTF-8");
        }
    }

    private static GVariantValue ReadVariant(ReadOnlySpan<byte> data, int depth)
    {
        int nul = data.LastIndexOf((byte)0);
        if (nul < 0)
            throw new GVariantFormatException("a variant has no type string");
        var typeBytes = data[(nul + 1)..];
        if (typeBytes.Length is 0 or > MaxTypeLength || typeBytes.ContainsAnyExceptInRange((byte)0x21, (byte)0x7e))
            throw new GVariantFormatException("a variant's type string is missing or not ASCII");
        string type = Encoding.ASCII.GetString(typeBytes);
        if (TypeEnd(type, 0, 0) != type.Length)
            throw new GVariantFormatException($"a variant's type string '{type}' is not one GVariant type");
        return new("v", null, [Read(type, data[..nul], depth + 1)]);
    }

    private static GVariantValue ReadMaybe(string type, ReadOnlySpan<byte> data, int depth)
    {
        if (data.Length == 0)
            return new(type, null, []);
        string element = type[1..];
        if (FixedSize(element) is { } size)
            return new(type, null, [Read(element, Fixed(data, size), depth + 1)]);
        if (data[^1] != 0)
            throw new GVariantFormatException("a maybe of a variable-size value must end with a nul byte");
        return new(type, null, [Read(element, data[..^1], depth + 1)]);
    }

    private static GVariantValue ReadArray(string type, ReadOnlySpan<byte> data, int depth)
    {
        string element = type[1..];
        if (element == "y")
            return new(type, data.ToArray(), []); // byte strings (event UUIDs) stay bytes
        var items = new List<GVariantValue>();
        if (FixedSize(element) is { } size)
        {
            if (data.Length % size != 0)
                throw new GVariantFormatException($"an array of {size}-byte items has {data.Length} bytes");
            for (int i = 0; i < data.Length; i += size)
                items.Add(Read(element, data.Slice(i, size), depth + 1));
            return new(type, null, items);
        }
        if (data.Length == 0)
            return new(type, null, items);
        int width = OffsetSize(data.Length);
        long lastEnd = ReadOffset(data, data.Length - width, width);
        if (lastEnd > data.Length - width || (data.Length - lastEnd) % width != 0)
            throw new GVariantFormatException("an array's framing offsets are inconsistent");
        int count = (int)((data.Length - lastEnd) / width), align = Alignment(element);
        int pos = 0;
        for (int i = 0; i < count; i++)
        {
            int start = Pad(data, pos, align, (int)lastEnd);
            long end = ReadOffset(data, (int)lastEnd + i * width, width);
            if (end < start || end > lastEnd)
                throw new GVariantFormatException("an array item's framing offset is out of range");
            items.Add(Read(element, data[start..(int)end], depth + 1));
            pos = (int)end;
        }
        if (pos != lastEnd)
            throw new GVariantFormatException("bytes between an array's last item and its framing offsets");
        return new(type, null, items);
    }

    private static GVariantValue ReadTuple(string type, ReadOnlySpan<byte> data, int depth)
    {
        var members = Members(type);
        var fixedSize = FixedSize(type);
        if (fixedSize is { } whole && data.Length != whole)
            throw new GVariantFormatException($"a {type} value is {whole} bytes, not {data.Length}");
        int framed = 0;
        for (int i = 0; i < members.Count - 1; i++)
            if (FixedSize(members[i]) is null)
                framed++;
        int width = fixedSize is null ? OffsetSize(data.Length) : 0;
        int offsetsStart = data.Length - framed * width;
        if (offsetsStart < 0)
            throw new GVariantFormatException("a tuple is shorter than its framing offsets");
        var children = new List<GVariantValue>(members.Count);
        int pos = 0, used = 0;
        for (int i = 0; i < members.Count; i++)
        {
            string m = members[i];
            int start = Pad(data, pos, Alignment(m), offsetsStart);
            long end;
            if (FixedSize(m) is { } size)
                end = start + size;
            else if (i == members.Count - 1)
                end = offsetsStart;
            else
                end = ReadOffset(data, data.Length - ++used * width, width);
            if (end < start || end > offsetsStart)
                throw new GVariantFormatException($"member {i} of a {type} value runs past its end");
            children.Add(Read(m, data[start..(int)end], depth + 1));
            pos = (int)end;
        }
        if (members.Count == 0)
        {
            if (data[0] != 0)
                throw new GVariantFormatException("the unit value () must be one zero byte");
        }
        else if (fixedSize is not null)
        {
            if (data[pos..].ContainsAnyExcept((byte)0))
                throw new GVariantFormatException("non-zero padding at the end of a tuple");
        }
        else if (pos != offsetsStart)
        {
            throw new GVariantFormatException("bytes between a tuple's last member and its framing offsets");
        }
        return new(type, null, children);
    }

    /// <summary>The aligned start of the next child; the padding skipped must be zero bytes, as normal form requires.</summary>
    private static int Pad(ReadOnlySpan<byte> data, int pos, int align, int limit)
    {
        int start = (pos + align - 1) & ~(align - 1);
        if (start > limit)
            throw new GVariantFormatException("padding runs past the end of a container");
        if (data[pos..start].ContainsAnyExcept((byte)0))
            throw new GVariantFormatException("non-zero padding bytes");
        return start;
    }

    private static int OffsetSize(long size) => size switch
    {
        0 => 0,
        <= byte.MaxValue => 1,
        <= ushort.MaxValue => 2,
        <= uint.MaxValue => 4,
        _ => 8,
    };

    private static long ReadOffset(ReadOnlySpan<byte> data, int at, int width)
    {
        if (at < 0 || at + width > data.Length)
            throw new GVariantFormatException("a framing offset lies outside its container");
        var b = data.Slice(at, width);
        return width switch
        {
            1 => b[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(b),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(b),
            _ => (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(b), long.MaxValue),
        };
    }

    /// <summary>Member types of a tuple <c>(…)</c> or dictionary entry <c>{…}</c>.</summary>
    private static List<string> Members(string type)
    {
        var members = new List<string>();
        int i = 1;
        while (i < type.Length - 1)
        {
            int end = TypeEnd(type, i, 0);
            members.Add(type[i..end]);
            i = end;
        }
        return members;
    }

    /// <summary>Index just past the one complete type starting at <paramref name="i"/>, or -1.</summary>
    internal static int TypeEnd(string t, int i, int depth)
    {
        if (i >= t.Length || depth > MaxDepth)
            return -1;
        char c = t[i++];
        if ("ybnqiuxtdsoghv".Contains(c))
            return i;
        if (c is 'm' or 'a')
        {
            if (c == 'a' && i < t.Length && t[i] == '{')
            {
                if (i + 1 >= t.Length || !"ybnqiuxtdsogh".Contains(t[i + 1]))
                    return -1;
                int end = TypeEnd(t, i + 2, depth + 1);
                return end > 0 && end < t.Length && t[end] == '}' ? end + 1 : -1;
            }
            return TypeEnd(t, i, depth + 1);
        }
        if (c == '(')
        {
            while (i < t.Length && t[i] != ')')
                if ((i = TypeEnd(t, i, depth + 1)) < 0)
                    return -1;
            return i < t.Length ? i + 1 : -1;
        }
        return -1;
    }

    private static int Alignment(string t) => t[0] switch
    {
        'n' or 'q' => 2,
        'i' or 'u' or 'h' => 4,
        'x' or 't' or 'd' or 'v' => 8,
        'm' or 'a' => Alignment(t[1..]),
        '(' or '{' => Members(t).Select(Alignment).DefaultIfEmpty(1).Max(),
        _ => 1,
    };

    private static int? FixedSize(string t)
    {
        switch (t[0])
        {
            case 'y' or 'b': return 1;
            case 'n' or 'q': return 2;
            case 'i' or 'u' or 'h': return 4;
            case 'x' or 't' or 'd': return 8;
            case '(' or '{':
                var members = Members(t);
                if (members.Count == 0)
                    return 1;
                int offset = 0, maxAlign = 1;
                foreach (var m in members)
                {
                    if (FixedSize(m) is not { } size)
                        return null;
                    int a = Alignment(m);
                    maxAlign = Math.Max(maxAlign, a);
                    offset = ((offset + a - 1) & ~(a - 1)) + size;
                }
                return (offset + maxAlign - 1) & ~(maxAlign - 1);
            default: return null;
        }
    }
}
