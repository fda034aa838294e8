using System.Collections.Immutable;
using System.Globalization;

namespace Candor.Registry;

public static partial class RegistryParser
{
    /// <summary>The reader's part for the metrics section: each metric, its type rules and its required fields.</summary>
    private sealed partial class Reader
    {
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

            var splitTrust = fields.TryGetValue("split_trust", out var splitEntry)
                ? ReadSplitTrust(splitEntry, Join(path, "split_trust"), name, type, fields,
                    new ValueSpace(values?.Length ?? 0, buckets?.Length ?? 0, transform ?? NumberTransform.None))
                : null;

            if (type is { } t)
                CheckTypeRules(t, fields, at, path);
            // The client has no randomised response for a whole histogram yet; refusing it here is
            // better than a client that silently never sends the metric.
            if (type == MetricType.Histogram && privacyEntry is not null)
                Problem(privacyEntry.Key, Join(path, "local_privacy"), "local_privacy is not supported on histograms yet (counters, quantities, enums and flags only)");

            if (type is null || category is null || period is null || description is null || purpose is null || !expiresGiven
                || (splitEntry is not null && splitTrust is null))
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
                SplitTrust = splitTrust,
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
    }
}
