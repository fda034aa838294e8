using System.Globalization;
using System.Text.RegularExpressions;

// The registry parser (src/Candor.Core/Registry) is compiled into this netstandard2.0 generator so
// that the compiler and the collector accept and refuse exactly the same files. This file supplies the
// few .NET APIs the parser uses that netstandard2.0 lacks, with the same behaviour for what the parser
// asks of them; nothing else in the generator uses them.

namespace Candor.Registry
{
    internal static partial class NameRules
    {
        // Same patterns and options as the source-generated regexes the collector uses.
        private static readonly Regex AppIdRegex = new(AppIdPattern, RegexOptions.CultureInvariant);
        private static readonly Regex MetricNameRegex = new(MetricNamePattern, RegexOptions.CultureInvariant);
        private static readonly Regex CategoryNameRegex = new(CategoryNamePattern, RegexOptions.CultureInvariant);
        private static readonly Regex EnumValueRegex = new(EnumValuePattern, RegexOptions.CultureInvariant);

        private static partial Regex AppId() => AppIdRegex;
        private static partial Regex MetricName() => MetricNameRegex;
        private static partial Regex CategoryName() => CategoryNameRegex;
        private static partial Regex EnumValue() => EnumValueRegex;
    }

    public static partial class RegistryParser
    {
        private static readonly Regex YamlPositionPrefixRegex = new(YamlPositionPrefixPattern);

        private static partial Regex YamlPositionPrefix() => YamlPositionPrefixRegex;
    }
}

namespace System.Text.RegularExpressions
{
    /// <summary>Stands in for .NET 7's attribute; the bodies are in <see cref="Candor.Registry.NameRules"/> above.</summary>
    [AttributeUsage(AttributeTargets.Method)]
    internal sealed class GeneratedRegexAttribute(string pattern, RegexOptions options = RegexOptions.None) : Attribute
    {
        public string Pattern { get; } = pattern;
        public RegexOptions Options { get; } = options;
    }
}

namespace System
{
    /// <summary>The part of .NET 6's <c>DateOnly</c> the registry parser uses: an <c>expires</c> day, parsed and compared.</summary>
    public readonly struct DateOnly : IComparable<DateOnly>, IEquatable<DateOnly>
    {
        private readonly DateTime _date;

        private DateOnly(DateTime date) => _date = date.Date;

        public DateOnly(int year, int month, int day) => _date = new DateTime(year, month, day);

        public int Year => _date.Year;
        public int Month => _date.Month;
        public int Day => _date.Day;

        public static bool TryParseExact(string? s, string format, IFormatProvider? provider, DateTimeStyles style, out DateOnly result)
        {
            if (DateTime.TryParseExact(s, format, provider, style, out var date))
            {
                result = new DateOnly(date);
                return true;
            }
            result = default;
            return false;
        }

        public int CompareTo(DateOnly other) => _date.CompareTo(other._date);
        public bool Equals(DateOnly other) => _date == other._date;
        public override bool Equals(object? obj) => obj is DateOnly other && Equals(other);
        public override int GetHashCode() => _date.GetHashCode();
        public override string ToString() => _date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        public static bool operator ==(DateOnly a, DateOnly b) => a.Equals(b);
        public static bool operator !=(DateOnly a, DateOnly b) => !a.Equals(b);
        public static bool operator <(DateOnly a, DateOnly b) => a._date < b._date;
        public static bool operator >(DateOnly a, DateOnly b) => a._date > b._date;
        public static bool operator <=(DateOnly a, DateOnly b) => a._date <= b._date;
        public static bool operator >=(DateOnly a, DateOnly b) => a._date >= b._date;
    }

    internal static class ArgumentNullExceptionPolyfill
    {
        extension(ArgumentNullException)
        {
            public static void ThrowIfNull(object? argument, [Runtime.CompilerServices.CallerArgumentExpression(nameof(argument))] string? paramName = null)
            {
                if (argument is null)
                    throw new ArgumentNullException(paramName);
            }
        }
    }
}

namespace Candor.Registry
{
    using System.Collections.Frozen;

    internal static class NetStandardPolyfills
    {
        public static TValue? GetValueOrDefault<TKey, TValue>(this FrozenDictionary<TKey, TValue> dictionary, TKey key)
            where TKey : notnull =>
            dictionary.TryGetValue(key, out var value) ? value : default;

        public static HashSet<T> ToHashSet<T>(this IEnumerable<T> items) => new(items);

        public static HashSet<T> ToHashSet<T>(this IEnumerable<T> items, IEqualityComparer<T> comparer) => new(items, comparer);

        public static IOrderedEnumerable<T> Order<T>(this IEnumerable<T> items, IComparer<T> comparer) => items.OrderBy(x => x, comparer);

        public static bool StartsWith(this string text, char c) => text.Length > 0 && text[0] == c;

        public static bool EndsWith(this string text, char c) => text.Length > 0 && text[text.Length - 1] == c;

        public static bool Contains(this string text, char c) => text.IndexOf(c) >= 0;

        extension(string)
        {
            public static string Join<T>(char separator, IEnumerable<T> values) => string.Join(separator.ToString(), values);
        }

        extension(double)
        {
            public static bool IsFinite(double d) => !double.IsNaN(d) && !double.IsInfinity(d);
        }

        extension(char)
        {
            public static bool IsAsciiDigit(char c) => c is >= '0' and <= '9';
        }
    }
}
