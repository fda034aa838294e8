using System.Text.RegularExpressions;

namespace Candor.Registry;

/// <summary>
/// The syntax of every name a registry declares. Names end up in URLs, database rows and file names on
/// both sides, so they are deliberately narrow: ASCII lowercase, no spaces, bounded length.
/// </summary>
internal static partial class NameRules
{
    public const int MaxMetricNameLength = 64;

    /// <summary>Prefix reserved for metrics Candor itself adds, such as <c>candor.active</c>.</summary>
    public const string ReservedMetricPrefix = "candor.";

    public static bool IsValidAppId(string app) => AppId().IsMatch(app);

    public static bool IsValidMetricName(string name) =>
        name.Length <= MaxMetricNameLength && MetricName().IsMatch(name);

    public static bool IsValidCategoryName(string name) => CategoryName().IsMatch(name);

    public static bool IsValidEnumValue(string value) => EnumValue().IsMatch(value);

    // The patterns are constants so that the typed-metrics generator (netstandard2.0, no regex source
    // generator) compiles this file with the very same rules; it supplies the method bodies itself.
    // \z rather than $: '$' would also match before a trailing newline and let "app\n" through.
    internal const string AppIdPattern = @"^[a-z0-9][a-z0-9.-]{0,99}\z";

    [GeneratedRegex(AppIdPattern, RegexOptions.CultureInvariant)]
    private static partial Regex AppId();

    internal const string MetricNamePattern = @"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+\z";

    [GeneratedRegex(MetricNamePattern, RegexOptions.CultureInvariant)]
    private static partial Regex MetricName();

    internal const string CategoryNamePattern = @"^[a-z][a-z0-9_]{0,39}\z";

    [GeneratedRegex(CategoryNamePattern, RegexOptions.CultureInvariant)]
    private static partial Regex CategoryName();

    internal const string EnumValuePattern = @"^[a-z0-9][a-z0-9._-]{0,63}\z";

    [GeneratedRegex(EnumValuePattern, RegexOptions.CultureInvariant)]
    private static partial Regex EnumValue();
}
