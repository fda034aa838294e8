using System.Collections.Immutable;
using System.Globalization;

namespace Candor.Registry;

public static partial class RegistryParser
{
    /// <summary>Walks the YAML tree once, collecting every problem instead of stopping at the first.</summary>
    private sealed partial class Reader(string fileName)
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
    }
}
