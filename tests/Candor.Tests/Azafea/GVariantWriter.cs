using System.Buffers.Binary;
using System.Text;

namespace Candor.Tests.Azafea;

/// <summary>A tuple or dictionary entry value for <see cref="GVariantWriter"/>.</summary>
public sealed record GTuple(params object?[] Members);

/// <summary>A variant: a value with its own type string.</summary>
public sealed record GVariant(string Type, object? Value);

/// <summary>A maybe that holds a value (<c>null</c> is Nothing).</summary>
public sealed record GJust(object? Value);

/// <summary>
/// Serializes GVariant values in normal form, written from the GVariant specification (GLib's
/// "GVariant serialization" document, the format eos-event-recorder-daemon sends) independently of the
/// collector's reader, so a test upload is built the way the daemon builds it. GLib itself checks this
/// writer in <c>GVariantInteropTests</c>. Values: <see cref="long"/> for every integer type,
/// <see cref="bool"/>, <see cref="double"/>, <see cref="string"/>, <see cref="byte"/>[] for <c>ay</c>,
/// lists for arrays, <see cref="GTuple"/>, <see cref="GVariant"/>, <see cref="GJust"/> or null for maybes.
/// </summary>
public static class GVariantWriter
{
    public static byte[] Write(string type, object? value)
    {
        switch (type[0])
        {
            case 'y': return [(byte)(long)value!];
            case 'b': return [(bool)value! ? (byte)1 : (byte)0];
            case 'n': return Le(2, (long)value!);
            case 'q': return Le(2, (long)value!);
            case 'i' or 'u' or 'h': return Le(4, (long)value!);
            case 'x' or 't': return Le(8, (long)value!);
            case 'd':
                var d = new byte[8];
                BinaryPrimitives.WriteDoubleLittleEndian(d, (double)value!);
                return d;
            case 's' or 'o' or 'g': return [.. Encoding.UTF8.GetBytes((string)value!), 0];
            case 'v':
                var v = (GVariant)value!;
                return [.. Write(v.Type, v.Value), 0, .. Encoding.ASCII.GetBytes(v.Type)];
            case 'm':
                if (value is null)
                    return [];
                var inner = Write(type[1..], ((GJust)value).Value);
                return FixedSize(type[1..]) is null ? [.. inner, 0] : inner;
            case 'a':
                return WriteArray(type[1..], value!);
            default:
                return WriteTuple(Members(type), ((GTuple)value!).Members, FixedSize(type));
        }
    }

    private static byte[] Le(int size, long value)
    {
        var b = new byte[size];
        for (int i = 0; i < size; i++)
            b[i] = (byte)(value >> (8 * i));
        return b;
    }

    private static byte[] WriteArray(string element, object value)
    {
        if (element == "y")
            return (byte[])value;
        var items = ((System.Collections.IEnumerable)value).Cast<object?>().ToList();
        var body = new List<byte>();
        var ends = new List<long>();
        int align = Alignment(element);
        foreach (var item in items)
        {
            PadTo(body, align);
            body.AddRange(Write(element, item));
            ends.Add(body.Count);
        }
        if (FixedSize(element) is not null)
            return [.. body];
        return Frame(body, ends);
    }

    private static byte[] WriteTuple(List<string> members, object?[] values, int? fixedSize)
    {
        if (members.Count == 0)
            return [0];
        var body = new List<byte>();
        var ends = new List<long>();
        for (int i = 0; i < members.Count; i++)
        {
            PadTo(body, Alignment(members[i]));
            body.AddRange(Write(members[i], values[i]));
            if (FixedSize(members[i]) is null && i < members.Count - 1)
                ends.Add(body.Count);
        }
        if (fixedSize is { } size)
        {
            while (body.Count < size)
                body.Add(0);
            return [.. body];
        }
        ends.Reverse(); // a tuple's framing offsets are stored last member first
        return Frame(body, ends);
    }

    /// <summary>Appends the framing offsets in the smallest width that can address the whole container.</summary>
    private static byte[] Frame(List<byte> body, List<long> offsets)
    {
        if (body.Count == 0 && offsets.Count == 0)
            return [];
        int width = 1;
        while (width < 8 && body.Count + (long)offsets.Count * width > (1L << (8 * width)) - 1)
            width *= 2;
        foreach (var o in offsets)
            body.AddRange(Le(width, o));
        return [.. body];
    }

    private static void PadTo(List<byte> body, int align)
    {
        while (body.Count % align != 0)
            body.Add(0);
    }

    private static List<string> Members(string type)
    {
        var result = new List<string>();
        int i = 1;
        while (i < type.Length - 1)
        {
            int end = End(type, i);
            result.Add(type[i..end]);
            i = end;
        }
        return result;
    }

    private static int End(string t, int i)
    {
        char c = t[i];
        if (c is 'a' or 'm')
            return End(t, i + 1);
        if (c is '(' or '{')
        {
            int j = i + 1;
            while (t[j] is not (')' or '}'))
                j = End(t, j);
            return j + 1;
        }
        return i + 1;
    }

    private static int Alignment(string t) => t[0] switch
    {
        'n' or 'q' => 2,
        'i' or 'u' or 'h' => 4,
        'x' or 't' or 'd' or 'v' => 8,
        'a' or 'm' => Alignment(t[1..]),
        '(' or '{' => Members(t).Count == 0 ? 1 : Members(t).Max(Alignment),
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
                int size = 0;
                foreach (var m in members)
                {
                    if (FixedSize(m) is not { } s)
                        return null;
                    int a = Alignment(m);
                    size = (size + a - 1) / a * a + s;
                }
                int align = Alignment(t);
                return (size + align - 1) / align * align;
            default: return null;
        }
    }
}
