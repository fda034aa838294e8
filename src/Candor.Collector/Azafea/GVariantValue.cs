using System.Globalization;

namespace Candor.Collector.Azafea;

/// <summary>
/// One deserialized GVariant: its type string and either a scalar (<see cref="long"/>, <see cref="ulong"/>,
/// <see cref="double"/>, <see cref="bool"/> or <see cref="string"/>) or its children (array items, tuple
/// members, a dictionary entry's key and value, a maybe's 0 or 1 value, a variant's 1 value).
/// </summary>
public sealed class GVariantValue(string type, object? scalar, IReadOnlyList<GVariantValue> children)
{
    public string Type { get; } = type;

    public object? Scalar { get; } = scalar;

    public IReadOnlyList<GVariantValue> Children { get; } = children;

    /// <summary>The value inside any number of variant wrappers, as Azafea's <c>get_variant</c> unwraps payloads.</summary>
    public GVariantValue Unwrapped()
    {
        var v = this;
        while (v.Type == "v")
            v = v.Children[0];
        return v;
    }

    /// <summary>A scalar as the text a mapping's <c>values</c> keys use: strings as they are, integers in invariant digits, booleans as true/false.</summary>
    public string? ScalarText() => Scalar switch
    {
        string s when Type == "s" => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        ulong u => u.ToString(CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>An integer or finite double as a number; null for anything else (or a uint64 beyond long).</summary>
    public double? Number() => Scalar switch
    {
        long l => l,
        ulong u when u <= long.MaxValue => u,
        double d when double.IsFinite(d) => d,
        _ => null,
    };
}
