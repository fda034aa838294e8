using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace Candor.Registry;

/// <summary>
/// Parses and validates registry YAML into a <see cref="MetricRegistry"/>. This is the one place that
/// decides what a registry may declare, and so what may ever leave a device: every rule is here, and a
/// file that breaks any of them is refused as a whole with every problem listed (docs/registry.md).
/// </summary>
public static partial class RegistryParser
{
    public const int MaxMetrics = 1000;
    public const int MaxBuckets = 64;
    public const int MaxEnumValues = 256;
    public const double MaxEpsilon = 10;

    /// <summary>Description of the category Candor adds for <c>candor.active</c> when a registry does not declare it.</summary>
    public const string ActivityCategoryDescription = "Whether the application was used on a day, to count active installations.";

    /// <summary>The built-in daily flag every registry carries; daily actives are counted from it.</summary>
    public static MetricDefinition ActiveMetric { get; } = new()
    {
        Name = MetricRegistry.ActiveMetricName,
        Type = MetricType.Flag,
        Category = MetricRegistry.ActivityCategoryName,
        Period = MetricPeriod.Day,
        Description = "The application ran on this day (one report per day it ran).",
        Purpose = "Count active installations per day without any identifier.",
        Expires = null,
        BuiltIn = true,
    };

    /// <summary>
    /// The built-in weekly flag: weekly actives cannot be counted from daily flags without linking one
    /// installation's days, which Candor never does, so the client sends this once per week it ran.
    /// </summary>
    public static MetricDefinition ActiveWeekMetric { get; } = new()
    {
        Name = MetricRegistry.ActiveWeekMetricName,
        Type = MetricType.Flag,
        Category = MetricRegistry.ActivityCategoryName,
        Period = MetricPeriod.Week,
        Description = "The application ran at least once during this ISO week (one report per week it ran).",
        Purpose = "Count active installations per week without any identifier.",
        Expires = null,
        BuiltIn = true,
    };

    /// <summary>Parses registry YAML.</summary>
    /// <param name="yaml">The registry text; kept as <see cref="MetricRegistry.SourceText"/>.</param>
    /// <param name="fileName">Name used in problem locations.</param>
    /// <exception cref="RegistryException">The registry is malformed or breaks a rule; lists every problem.</exception>
    public static MetricRegistry Parse(string yaml, string fileName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(fileName);

        RegistryYamlNode? root;
        try
        {
            root = RegistryYamlReader.Read(yaml);
        }
        catch (YamlException e)
        {
            // The tree is unusable past a syntax error, so this is the only problem worth reporting.
            throw new RegistryException([new RegistryProblem(fileName, Math.Max(1, (int)e.Start.Line),
                Math.Max(1, (int)e.Start.Column), RegistryProblem.YamlField, YamlMessage(e))]);
        }

        var reader = new Reader(fileName);
        var registry = reader.Read(root, yaml);
        if (reader.Problems.Count > 0 || registry is null)
            throw new RegistryException(reader.Problems
                .OrderBy(p => p.Line).ThenBy(p => p.Column)); // OrderBy is stable: same spot keeps finding order
        return registry;
    }

    /// <summary>Reads and parses a registry file; problems name the file by <paramref name="path"/> as given.</summary>
    /// <exception cref="RegistryException">The registry is malformed or breaks a rule.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
#if !CANDOR_GENERATOR // analyzers may not read files (RS1035): the compiler hands the generator the text
    public static MetricRegistry ParseFile(string path) => Parse(File.ReadAllText(path), path);
#endif

    /// <summary>Application id: <c>^[a-z0-9][a-z0-9.-]{0,99}$</c>.</summary>
    public static bool IsValidAppId(string app) => NameRules.IsValidAppId(app);

    /// <summary>
    /// Metric name syntax: dotted lowercase, at least two segments each matching <c>[a-z][a-z0-9_]*</c>,
    /// at most 64 characters. Syntax only: <c>candor.*</c> passes here but is reserved in registries.
    /// </summary>
    public static bool IsValidMetricName(string name) => NameRules.IsValidMetricName(name);

    private static string YamlMessage(YamlException e)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: 3, Col: 6, Idx: 21): "; the problem
        // carries the position already.
        var message = YamlPositionPrefix().Replace(e.Message, "");
        return message.Length == 0 ? "The file is not well-formed YAML." : message;
    }

    internal const string YamlPositionPrefixPattern = @"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\):\s*";

    [GeneratedRegex(YamlPositionPrefixPattern)]
    private static partial Regex YamlPositionPrefix();

    private static readonly string[] TopLevelKeys = ["app", "version", "categories", "metrics"];
    private static readonly string[] CategoryKeys = ["description"];
    private static readonly string[] MetricKeys =
        ["type", "category", "period", "description", "purpose", "expires", "buckets", "values", "transform", "local_privacy"];
    private static readonly string[] LocalPrivacyKeys = ["epsilon"];

    private static readonly string[] TypeNames = ["counter", "flag", "enum", "quantity", "histogram"];
    private static readonly string AllowedTypes = string.Join(", ", TypeNames);

    /// <summary>Walks the YAML tree once, collecting every problem instead of stopping at the first.</summary>
    private sealed class Reader(string fileName)
    {
        public List<RegistryProblem> Problems { get; } = [];

        private void Problem(RegistryYamlNode at, string field, string message) =>
            Problems.Add(new RegistryProblem(fileName, Math.Max(1, at.Line), Math.Max(1, at.Column), field, message));

        public MetricRegistry? Read(RegistryYamlNode? root, string sourceText)
        {
            if (root is null || root is RegistryYamlScalar { IsNull: true })
            {
                Problems.Add(new RegistryProblem(fileName, 1, 1, RegistryProblem.YamlField,
                    "the registry is empty; it needs app, version, categories and metrics"));
                return null;
            }
            if (root is not RegistryYamlMapping top)
            {
                Problem(root, RegistryProblem.YamlField,
                    $"the registry must be a mapping with app, version, categories and metrics, not {root.Kind}");
                return null;
            }

            var fields = Fields(top, "", TopLevelKeys);
            var app = ReadApp(fields, top);
            var version = ReadVersion(fields, top);
            var categories = ReadCategories(fields, top);
            var metrics = ReadMetrics(fields, top, categories);

            if (Problems.Count > 0 || app is null || version is null)
                return null;

            var categoryList = categories.ToImmutableArray();
            if (!categories.Exists(c => c.Name == MetricRegistry.ActivityCategoryName))
                categoryList = categoryList.Add(new CategoryDefinition(MetricRegistry.ActivityCategoryName, ActivityCategoryDescription));
            return new MetricRegistry(app, version.Value, categoryList, metrics.Add(ActiveMetric).Add(ActiveWeekMetric), sourceText);
        }

        // ---- structure helpers ----

        /// <summary>
        /// The entries of a mapping with fixed keys, first occurrence of each; reports unknown keys (with a
        /// suggestion, since most are typos) and keys given twice.
        /// </summary>
        private Dictionary<string, RegistryYamlEntry> Fields(RegistryYamlMapping map, string path, string[] allowed)
        {
            var fields = new Dictionary<string, RegistryYamlEntry>(StringComparer.Ordinal);
            foreach (var entry in map.Entries)
            {
                if (KeyText(entry, path) is not { } key)
                    continue;
                var field = Join(path, key);
                if (!allowed.Contains(key, StringComparer.Ordinal))
                {
                    var suggestion = Closest(key, allowed) is { } close ? $" (did you mean '{close}'?)" : "";
                    Problem(entry.Key, field, $"unknown key '{key}'{suggestion}; allowed keys: {string.Join(", ", allowed)}");
                }
                else if (fields.TryGetValue(key, out var first))
                    Problem(entry.Key, field, $"'{key}' is given twice (lines {first.Key.Line} and {entry.Key.Line})");
                else
                    fields[key] = entry;
            }
            return fields;
        }

        private string? KeyText(RegistryYamlEntry entry, string path)
        {
            if (entry.Key is RegistryYamlScalar { IsNull: false } scalar)
                return scalar.Value;
            Problem(entry.Key, path.Length == 0 ? RegistryProblem.YamlField : path,
                $"keys must be names, not {entry.Key.Kind}");
            return null;
        }

        private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

        private RegistryYamlEntry? Required(Dictionary<string, RegistryYamlEntry> fields, string key,
            RegistryYamlNode parent, string parentPath, string message)
        {
            if (fields.TryGetValue(key, out var entry))
                return entry;
            Problem(parent, Join(parentPath, key), message);
            return null;
        }

        /// <summary>A scalar value as text; null (with a problem) if it is a list, mapping or empty.</summary>
        private string? Text(RegistryYamlEntry entry, string field, string key)
        {
            switch (entry.Value)
            {
                case RegistryYamlScalar { IsNull: false } scalar when !string.IsNullOrWhiteSpace(scalar.Value):
                    return scalar.Value;
                case RegistryYamlScalar:
                    Problem(entry.Key, field, $"{key} must not be empty");
                    return null;
                default:
                    Problem(entry.Key, field, $"{key} must be text, not {entry.Value.Kind}");
                    return null;
            }
        }

        /// <summary>A required text field of a metric or category.</summary>
        private string? RequiredText(Dictionary<string, RegistryYamlEntry> fields, string key,
            RegistryYamlNode parent, string parentPath, string missing)
        {
            var entry = Required(fields, key, parent, parentPath, missing);
            return entry is null ? null : Text(entry, Join(parentPath, key), key);
        }

        // ---- top level ----

        private string? ReadApp(Dictionary<string, RegistryYamlEntry> fields, RegistryYamlMapping top)
        {
            var app = RequiredText(fields, "app", top, "",
                "app is required: the application id (lowercase letters, digits, '.', '-')");
            if (app is not null && !NameRules.IsValidAppId(app))
            {
                Problem(fields["app"].Key, "app",
                    $"'{app}' is not a valid application id: it must be 1 to 100 lowercase letters, digits, '.' or '-', starting with a letter or digit");
                return null;
            }
            return app;
        }

        private int? ReadVersion(Dictionary<string, RegistryYamlEntry> fields, RegistryYamlMapping top)
        {
            if (Required(fields, "version", top, "", "version is required: a whole number from 1, raised with each change") is not { } entry)
                return null;
            if (entry.Value is not RegistryYamlScalar { IsPlain: true, IsNull: false } scalar || !IsDigits(scalar.Value))
            {
                Problem(entry.Key, "version", $"version must be a whole number from 1 to {int.MaxValue}, not {Describe(entry.Value)}");
                return null;
            }
            if (!int.TryParse(scalar.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
            {
                Problem(entry.Key, "version", $"version must be from 1 to {int.MaxValue}, not {scalar.Value}");
                return null;
            }
            return version;
        }

        /// <summary>Every declared category in file order (invalid ones included, so metrics naming them are not reported twice).</summary>
        private List<CategoryDefinition> ReadCategories(Dictionary<string, RegistryYamlEntry> fields, RegistryYamlMapping top)
        {
            var categories = new List<CategoryDefinition>();
            if (Required(fields, "categories", top, "",
                    "categories is required: a mapping of category name to { description: ... }") is not { } section)
                return categories;
            if (section.Value is not RegistryYamlMapping map)
            {
                Problem(section.Key, "categories", $"categories must be a mapping of category name to {{ description: ... }}, not {Describe(section.Value)}");
                return categories;
            }

            var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var entry in map.Entries)
            {
                if (KeyText(entry, "categories") is not { } name)
                    continue;
                var path = Join("categories", name);
                if (firstLine.TryGetValue(name, out var line))
                {
                    Problem(entry.Key, path, $"category '{name}' is declared twice (lines {line} and {entry.Key.Line})");
                    continue;
                }
                firstLine[name] = entry.Key.Line;

                if (!NameRules.IsValidCategoryName(name))
                    Problem(entry.Key, path,
                        $"'{name}' is not a valid category name: it must be 1 to 40 lowercase letters, digits or '_', starting with a letter");

                string? description = null;
                if (entry.Value is not RegistryYamlMapping body)
                    Problem(entry.Key, path, $"category '{name}' must be a mapping {{ description: ... }}, not {Describe(entry.Value)}");
                else
                    description = RequiredText(Fields(body, path, CategoryKeys), "description", entry.Key, path,
                        $"category '{name}' needs a description: what the user turns on or off with it");
                categories.Add(new CategoryDefinition(name, description ?? ""));
            }
            return categories;
        }

        private ImmutableArray<MetricDefinition> ReadMetrics(Dictionary<string, RegistryYamlEntry> fields,
            RegistryYamlMapping top, List<CategoryDefinition> categoryList)
        {
            var categories = categoryList.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
            var metrics = ImmutableArray.CreateBuilder<MetricDefinition>();
            if (Required(fields, "metrics", top, "", "metrics is required: a mapping of metric name to its definition") is not { } section)
                return [];
            if (section.Value is not RegistryYamlMapping map)
            {
                Problem(section.Key, "metrics", $"metrics must be a mapping of metric name to its definition, not {Describe(section.Value)}");
                return [];
            }
            if (map.Entries.Count == 0)
                Problem(section.Key, "metrics", "metrics must declare at least one metric");
            else if (map.Entries.Count > MaxMetrics)
                Problem(section.Key, "metrics", $"a registry may declare at most {MaxMetrics} metrics, not {map.Entries.Count}");

            var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var entry in map.Entries)
            {
                if (KeyText(entry, "metrics") is not { } name)
                    continue;
                var path = Join("metrics", name);
                if (firstLine.TryGetValue(name, out var line))
                {
                    Problem(entry.Key, path, $"metric '{name}' is defined twice (lines {line} and {entry.Key.Line})");
                    continue;
                }
                firstLine[name] = entry.Key.Line;

                if (name.StartsWith(NameRules.ReservedMetricPrefix, StringComparison.Ordinal))
                    Problem(entry.Key, path, $"'{name}': metric names starting with '{NameRules.ReservedMetricPrefix}' are reserved for Candor's built-in metrics");
                else if (!NameRules.IsValidMetricName(name))
                    Problem(entry.Key, path, $"'{name}' is not a valid metric name: it must be at least two dot-separated segments, each a lowercase letter followed by lowercase letters, digits or '_', at most {NameRules.MaxMetricNameLength} characters in all");

                if (ReadMetric(entry, name, path, categories) is { } metric)
                    metrics.Add(metric);
            }
            return metrics.ToImmutable();
        }

        // ---- one metric ----

        private MetricDefinition? ReadMetric(RegistryYamlEntry entry, string name, string path,
            HashSet<string> categories)
        {
            if (entry.Value is not RegistryYamlMapping body)
            {
                Problem(entry.Key, path, $"metric '{name}' must be a mapping of its fields ({string.Join(", ", MetricKeys)}), not {Describe(entry.Value)}");
                return null;
            }
            var at = entry.Key;
            var fields = Fields(body, path, MetricKeys);

            var type = ReadType(fields, at, path);
            var category = RequiredText(fields, "category", at, path, "category is required: one of the categories declared above");
            if (category is not null && !categories.Contains(category))
            {
                var declared = categories.Count == 0 ? "none are declared" : $"declared: {string.Join(", ", categories.Order(StringComparer.Ordinal))}";
                Problem(fields["category"].Key, Join(path, "category"), $"category '{category}' is not declared under categories ({declared})");
                category = null;
            }
            var period = ReadPeriod(fields, at, path);
            var description = RequiredText(fields, "description", at, path, "description is required: what is measured, in words a user understands");
            var purpose = RequiredText(fields, "purpose", at, path, "purpose is required: why it is collected, shown to users");
            var (expiresGiven, expires) = ReadExpires(fields, at, path);
            var buckets = fields.TryGetValue("buckets", out var bucketsEntry) ? ReadBuckets(bucketsEntry, Join(path, "buckets")) : null;
            var values = fields.TryGetValue("values", out var valuesEntry) ? ReadValues(valuesEntry, Join(path, "values")) : null;
            var transform = fields.TryGetValue("transform", out var transformEntry) ? ReadTransform(transformEntry, Join(path, "transform")) : null;
            var localPrivacy = fields.TryGetValue("local_privacy", out var privacyEntry) ? ReadLocalPrivacy(privacyEntry, Join(path, "local_privacy")) : null;

            if (type is { } t)
                CheckTypeRules(t, fields, at, path);
            // The client has no randomised response for a whole histogram yet; refusing it here is
            // better than a client that silently never sends the metric.
            if (type == MetricType.Histogram && privacyEntry is not null)
                Problem(privacyEntry.Key, Join(path, "local_privacy"), "local_privacy is not supported on histograms yet (counters, quantities, enums and flags only)");

            if (type is null || category is null || period is null || description is null || purpose is null || !expiresGiven)
                return null;
            return new MetricDefinition
            {
                Name = name,
                Type = type.Value,
                Category = category,
                Period = period.Value,
                Buckets = buckets ?? [],
                Values = values ?? [],
                Transform = transform ?? NumberTransform.None,
                Description = description,
                Purpose = purpose,
                Expires = expires,
                LocalPrivacy = localPrivacy,
                Line = entry.Key.Line,
            };
        }

        /// <summary>Which of buckets, values and transform each type takes: the value space of the metric.</summary>
        private void CheckTypeRules(MetricType type, Dictionary<string, RegistryYamlEntry> fields, RegistryYamlNode at, string path)
        {
            var typeName = TypeNames[(int)type];
            fields.TryGetValue("buckets", out var buckets);
            fields.TryGetValue("values", out var values);
            fields.TryGetValue("transform", out var transform);

            void NotAllowed(RegistryYamlEntry? field, string key, string why)
            {
                if (field is not null)
                    Problem(field.Key, Join(path, key), $"{key} is not allowed on a {typeName} metric ({why})");
            }

            switch (type)
            {
                case MetricType.Counter or MetricType.Histogram:
                    if (buckets is null)
                        Problem(at, Join(path, "buckets"), $"a {typeName} needs buckets: the lower bounds of the ranges its numbers are sent as");
                    NotAllowed(values, "values", "only enums have values");
                    NotAllowed(transform, "transform", "only quantities take a transform; use buckets");
                    break;
                case MetricType.Quantity:
                    if (buckets is null && transform is null)
                        Problem(at, Join(path, "buckets"), "a quantity needs either buckets or transform: log10");
                    else if (buckets is not null && transform is not null)
                        Problem(transform.Key, Join(path, "transform"), "a quantity takes either buckets or transform: log10, not both");
                    NotAllowed(values, "values", "only enums have values");
                    break;
                case MetricType.Enum:
                    if (values is null)
                        Problem(at, Join(path, "values"), "an enum needs values: the list of values it may be sent as");
                    NotAllowed(buckets, "buckets", "an enum is sent as one of its values");
                    NotAllowed(transform, "transform", "an enum is sent as one of its values");
                    break;
                case MetricType.Flag:
                    NotAllowed(buckets, "buckets", "a flag is only true or false");
                    NotAllowed(values, "values", "a flag is only true or false");
                    NotAllowed(transform, "transform", "a flag is only true or false");
                    break;
            }
        }

        private MetricType? ReadType(Dictionary<string, RegistryYamlEntry> fields, RegistryYamlNode at, string path)
        {
            var text = RequiredText(fields, "type", at, path, $"type is required: one of {AllowedTypes}");
            if (text is null)
                return null;
            var index = Array.IndexOf(TypeNames, text);
            if (index < 0)
            {
                Problem(fields["type"].Key, Join(path, "type"), $"unknown type '{text}'; allowed types: {AllowedTypes}");
                return null;
            }
            return (MetricType)index;
        }

        private MetricPeriod? ReadPeriod(Dictionary<string, RegistryYamlEntry> fields, RegistryYamlNode at, string path)
        {
            var text = RequiredText(fields, "period", at, path, "period is required: day or week");
            switch (text)
            {
                case null: return null;
                case "day": return MetricPeriod.Day;
                case "week": return MetricPeriod.Week;
                default:
                    Problem(fields["period"].Key, Join(path, "period"), $"unknown period '{text}'; allowed periods: day, week");
                    return null;
            }
        }

        /// <returns>Whether a valid expiry was given, and the date (null for <c>never</c>).</returns>
        private (bool Given, DateOnly? Date) ReadExpires(Dictionary<string, RegistryYamlEntry> fields, RegistryYamlNode at, string path)
        {
            var text = RequiredText(fields, "expires", at, path,
                "expires is required: the last day the metric may be collected (YYYY-MM-DD), or never");
            if (text is null)
                return (false, null);
            if (text == "never")
                return (true, null);

            var field = Join(path, "expires");
            if (!IsDateShape(text))
            {
                Problem(fields["expires"].Key, field, $"expires must be a date YYYY-MM-DD or never, not '{text}'");
                return (false, null);
            }
            if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                Problem(fields["expires"].Key, field, $"'{text}' is not a real date");
                return (false, null);
            }
            return (true, date);
        }

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
