using System.Globalization;
using Candor.Registry.Events;
using Tmds.DBus.Protocol;

namespace Candor.Agent.DBus;

/// <summary>
/// GVariant type strings (the D-Bus signature of a single value): what a mapping allows, and what a
/// payload actually is. Payloads are compared by type string because that is how eos-metrics and Azafea
/// document every event ("Payload: type (uu)").
/// </summary>
public static class GVariantType
{
    /// <summary>The type string of a received value, or null for a shape that cannot be described (an empty array of containers).</summary>
    public static string? Of(VariantValue value) => value.Type switch
    {
        VariantValueType.Byte => "y",
        VariantValueType.Bool => "b",
        VariantValueType.Int16 => "n",
        VariantValueType.UInt16 => "q",
        VariantValueType.Int32 => "i",
        VariantValueType.UInt32 => "u",
        VariantValueType.Int64 => "x",
        VariantValueType.UInt64 => "t",
        VariantValueType.Double => "d",
        VariantValueType.String => "s",
        VariantValueType.ObjectPath => "o",
        VariantValueType.Signature => "g",
        VariantValueType.UnixFd => "h",
        VariantValueType.Variant => "v",
        VariantValueType.Struct => Struct(value),
        VariantValueType.Array => value.Count > 0 ? "a" + Of(value.GetItem(0)) : BasicCode(value.ItemType) is { } item ? "a" + item : null,
        VariantValueType.Dictionary => value.Count > 0
            ? $"a{{{Of(value.GetDictionaryEntry(0).Key)}{Of(value.GetDictionaryEntry(0).Value)}}}"
            : BasicCode(value.KeyType) is { } k && BasicCode(value.ValueType) is { } v ? $"a{{{k}{v}}}" : null,
        _ => null,
    };

    private static string? Struct(VariantValue value)
    {
        var parts = new string?[value.Count];
        for (int i = 0; i < value.Count; i++)
            parts[i] = Of(value.GetItem(i));
        return parts.Any(p => p is null) ? null : "(" + string.Concat(parts) + ")";
    }

    private static string? BasicCode(VariantValueType type) => type switch
    {
        VariantValueType.Byte => "y", VariantValueType.Bool => "b", VariantValueType.Int16 => "n",
        VariantValueType.UInt16 => "q", VariantValueType.Int32 => "i", VariantValueType.UInt32 => "u",
        VariantValueType.Int64 => "x", VariantValueType.UInt64 => "t", VariantValueType.Double => "d",
        VariantValueType.String => "s", VariantValueType.ObjectPath => "o", VariantValueType.Signature => "g",
        VariantValueType.Variant => "v",
        _ => null,
    };

    /// <summary>Whether <paramref name="type"/> is exactly one complete GVariant type.</summary>
    public static bool IsValid(string type) => GVariantTypeString.IsValid(type);

    /// <summary>The member types of a tuple type such as <c>(us)</c>, or null if it is not a tuple.</summary>
    public static IReadOnlyList<string>? TupleMembers(string type) => GVariantTypeString.TupleMembers(type);

    /// <summary>A scalar as the text a mapping's <c>values</c> keys use: strings as they are, numbers in invariant digits, booleans as true/false.</summary>
    public static string? ScalarText(VariantValue value) => value.Type switch
    {
        VariantValueType.String => value.GetString(),
        VariantValueType.Bool => value.GetBool() ? "true" : "false",
        VariantValueType.Byte or VariantValueType.Int16 or VariantValueType.Int32 or VariantValueType.Int64 =>
            SignedNumber(value)?.ToString(CultureInfo.InvariantCulture),
        VariantValueType.UInt16 or VariantValueType.UInt32 or VariantValueType.UInt64 =>
            value.Type == VariantValueType.UInt64 ? value.GetUInt64().ToString(CultureInfo.InvariantCulture) : SignedNumber(value)?.ToString(CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>An integer or finite double payload as a number; null for anything else (or a uint64 beyond long).</summary>
    public static double? Number(VariantValue value) => value.Type switch
    {
        VariantValueType.Double => double.IsFinite(value.GetDouble()) ? value.GetDouble() : null,
        VariantValueType.UInt64 => value.GetUInt64() <= long.MaxValue ? value.GetUInt64() : null,
        _ => SignedNumber(value),
    };

    private static long? SignedNumber(VariantValue value) => value.Type switch
    {
        VariantValueType.Byte => value.GetByte(),
        VariantValueType.Int16 => value.GetInt16(),
        VariantValueType.UInt16 => value.GetUInt16(),
        VariantValueType.Int32 => value.GetInt32(),
        VariantValueType.UInt32 => value.GetUInt32(),
        VariantValueType.Int64 => value.GetInt64(),
        _ => null,
    };
}
