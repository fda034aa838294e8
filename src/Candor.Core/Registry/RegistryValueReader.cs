using System.Collections.Immutable;
using System.Globalization;

namespace Candor.Registry;

public static partial class RegistryParser
{
    /// <summary>The reader's part for typed values (buckets, enum values, transform, local privacy) and small text helpers.</summary>
    private sealed partial class Reader
    {
        private ImmutableArray<long>? ReadBuckets(RegistryYamlEntry entry, string field)
        {
            if (entry.Value is not RegistryYamlSequence list)
            {
                Problem(entry.Key, field, $"buckets must be a list of whole numbers such as [1, 2, 5, 10], not {Describe(entry.Value)}");
                return null;
            }
            if (list.Items.Count == 0)
            {
                Problem(entry.Key, field, "buckets must list at least one bound");
                return null;
            }
            if (list.Items.Count > MaxBuckets)
            {
                Problem(entry.Key, field, $"buckets may list at most {MaxBuckets} bounds, not {list.Items.Count}");
                return null;
            }

            var bounds = ImmutableArray.CreateBuilder<long>(list.Items.Count);
            var ok = true;
            for (var i = 0; i < list.Items.Count; i++)
            {
                var item = list.Items[i];
                var itemField = $"{field}[{i}]";
                if (item is not RegistryYamlScalar { IsPlain: true, IsNull: false } scalar || !IsInteger(scalar.Value))
                {
                    Problem(item, itemField, $"bucket bounds must be whole numbers, not {Describe(item)}");
                    ok = false;
                }
                else if (scalar.Value.StartsWith('-'))
                {
                    Problem(item, itemField, $"bucket bounds must not be negative ({scalar.Value})");
                    ok = false;
                }
                else if (!long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var bound))
                {
                    Problem(item, itemField, $"bucket bound {scalar.Value} is too large (at most {long.MaxValue})");
                    ok = false;
                }
                else
                    bounds.Add(bound);
            }
            if (!ok)
                return null;

            for (var i = 1; i < bounds.Count; i++)
            {
                if (bounds[i] <= bounds[i - 1])
                {
                    Problem(entry.Key, field, $"buckets must be strictly increasing ({bounds[i]} follows {bounds[i - 1]})");
                    return null;
                }
            }
            return bounds.MoveToImmutable();
        }

        private ImmutableArray<string>? ReadValues(RegistryYamlEntry entry, string field)
        {
            if (entry.Value is not RegistryYamlSequence list)
            {
                Problem(entry.Key, field, $"values must be a list such as [linux, windows, macos, other], not {Describe(entry.Value)}");
                return null;
            }
            if (list.Items.Count == 0)
            {
                Problem(entry.Key, field, "values must list at least one value");
                return null;
            }
            if (list.Items.Count > MaxEnumValues)
            {
                Problem(entry.Key, field, $"values may list at most {MaxEnumValues} values, not {list.Items.Count}");
                return null;
            }

            var values = ImmutableArray.CreateBuilder<string>(list.Items.Count);
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            var ok = true;
            for (var i = 0; i < list.Items.Count; i++)
            {
                var item = list.Items[i];
                var itemField = $"{field}[{i}]";
                if (item is not RegistryYamlScalar { IsNull: false } scalar)
                {
                    Problem(item, itemField, $"values must be text, not {Describe(item)}");
                    ok = false;
                }
                else if (!NameRules.IsValidEnumValue(scalar.Value))
                {
                    Problem(item, itemField,
                        $"'{scalar.Value}' is not a valid value: it must be 1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit");
                    ok = false;
                }
                else if (seen.TryGetValue(scalar.Value, out var first))
                {
                    Problem(item, itemField, $"value '{scalar.Value}' is listed twice (first as {field}[{first}])");
                    ok = false;
                }
                else
                {
                    seen[scalar.Value] = i;
                    values.Add(scalar.Value);
                }
            }
            return ok ? values.MoveToImmutable() : null;
        }

        private NumberTransform? ReadTransform(RegistryYamlEntry entry, string field)
        {
            var text = Text(entry, field, "transform");
            if (text is null)
                return null;
            if (text == "log10")
                return NumberTransform.Log10;
            Problem(entry.Key, field, $"unknown transform '{text}'; the only transform is log10");
            return null;
        }

        private LocalPrivacySettings? ReadLocalPrivacy(RegistryYamlEntry entry, string field)
        {
            if (entry.Value is not RegistryYamlMapping map)
            {
                Problem(entry.Key, field, $"local_privacy must be a mapping {{ epsilon: <number> }}, not {Describe(entry.Value)}");
                return null;
            }
            var fields = Fields(map, field, LocalPrivacyKeys);
            if (Required(fields, "epsilon", entry.Key, field, $"local_privacy needs epsilon: a number above 0 and at most {MaxEpsilon}") is not { } epsilonEntry)
                return null;

            var epsilonField = Join(field, "epsilon");
            if (epsilonEntry.Value is not RegistryYamlScalar { IsPlain: true, IsNull: false } scalar
                || !double.TryParse(scalar.Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                    CultureInfo.InvariantCulture, out var epsilon)
                || !double.IsFinite(epsilon))
            {
                Problem(epsilonEntry.Key, epsilonField, $"epsilon must be a number, not {Describe(epsilonEntry.Value)}");
                return null;
            }
            if (epsilon is <= 0 or > MaxEpsilon)
            {
                Problem(epsilonEntry.Key, epsilonField, $"epsilon must be above 0 and at most {MaxEpsilon}, not {scalar.Value}");
                return null;
            }
            return new LocalPrivacySettings(epsilon);
        }

        // ---- small helpers ----

        private static string Describe(RegistryYamlNode node) => node switch
        {
            RegistryYamlScalar { IsNull: true } => "empty",
            RegistryYamlScalar scalar => $"'{scalar.Value}'",
            _ => node.Kind,
        };

        private static bool IsDigits(string text) => text.Length > 0 && text.All(char.IsAsciiDigit);

        private static bool IsInteger(string text) =>
            IsDigits(text.StartsWith('-') || text.StartsWith('+') ? text[1..] : text);

        private static bool IsDateShape(string text) =>
            text.Length == 10 && text[4] == '-' && text[7] == '-'
            && IsDigits(text[..4]) && IsDigits(text[5..7]) && IsDigits(text[8..]);

        /// <summary>The allowed key a typo most likely meant, if any is within two edits.</summary>
        private static string? Closest(string key, string[] allowed)
        {
            string? best = null;
            var bestDistance = 3;
            foreach (var candidate in allowed)
            {
                var distance = EditDistance(key.ToLowerInvariant(), candidate);
                if (distance < bestDistance)
                    (best, bestDistance) = (candidate, distance);
            }
            return best;
        }

        private static int EditDistance(string a, string b)
        {
            var previous = new int[b.Length + 1];
            var current = new int[b.Length + 1];
            for (var j = 0; j <= b.Length; j++)
                previous[j] = j;
            for (var i = 1; i <= a.Length; i++)
            {
                current[0] = i;
                for (var j = 1; j <= b.Length; j++)
                {
                    var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                    current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                }
                (previous, current) = (current, previous);
            }
            return previous[b.Length];
        }
    }
}
