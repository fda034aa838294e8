using System.Collections.Immutable;
using System.Globalization;
using Candor.Registry;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Candor.Registry.Events;

/// <summary>
/// Reads the event mapping file (see docs/linux.md) against the registry it extends. Every problem is
/// reported at file:line:col in one go. The checks here are the allowlist's device half: a mapping that
/// points at an unknown metric, or lets a payload through that the metric cannot hold, is refused at
/// start-up rather than turning into silently dropped data later.
/// </summary>
internal static class EventMapParser
{
    private static readonly string[] EntryKeys = ["name", "metric", "payload", "field", "value", "values"];

    public static EventMap Load(string path, MetricRegistry registry) => Parse(File.ReadAllText(path), path, registry);

    /// <summary>The <c>registry</c> a mapping file names (the app it extends), or null when the file does not name one; for hosts that serve several apps.</summary>
    public static string? RegistryOf(string yaml)
    {
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            return stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode root
                && root.Children.TryGetValue(new YamlScalarNode("registry"), out var app) ? Text(app) : null;
        }
        catch (YamlException)
        {
            return null;
        }
    }

    public static EventMap Parse(string yaml, string fileName, MetricRegistry registry)
    {
        var problems = new List<string>();
        var mappings = new List<EventMapping>();
        void Problem(YamlNode node, string message) => problems.Add($"{fileName}:{node.Start.Line}:{node.Start.Column}: {message}");

        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode m)
                throw new EventMapException([$"{fileName}:1:1: the mapping file must be a YAML mapping with 'registry' and 'events'"]);
            root = m;
        }
        catch (YamlException e)
        {
            throw new EventMapException([$"{fileName}:{e.Start.Line}:{e.Start.Column}: {e.Message}"]);
        }

        foreach (var key in root.Children.Keys)
            if (Text(key) is not ("registry" or "events"))
                Problem(key, $"unknown key '{Text(key)}'; allowed keys: registry, events");

        if (!root.Children.TryGetValue(new YamlScalarNode("registry"), out var app))
            Problem(root, "missing 'registry': the app name of the registry these events map into");
        else if (Text(app) != registry.App)
            Problem(app, $"this mapping is for registry '{Text(app)}', but the agent's registry is '{registry.App}'");

        if (!root.Children.TryGetValue(new YamlScalarNode("events"), out var eventsNode) || eventsNode is not YamlMappingNode events)
        {
            Problem(root, "missing 'events': a mapping from event UUID to its metric");
            throw new EventMapException(problems);
        }

        foreach (var (key, value) in events.Children)
        {
            if (!Guid.TryParseExact(Text(key), "D", out var id))
            {
                Problem(key, $"'{Text(key)}' is not an event UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
                continue;
            }
            if (value is not YamlMappingNode entry)
            {
                Problem(value, "an event's mapping must be a mapping with at least 'metric'");
                continue;
            }
            if (ParseEntry(id, entry, registry, Problem) is { } mapping)
                mappings.Add(mapping);
        }
        if (problems.Count > 0)
            throw new EventMapException(problems);
        return new EventMap(registry, mappings);
    }

    private static EventMapping? ParseEntry(Guid id, YamlMappingNode entry, MetricRegistry registry, Action<YamlNode, string> problem)
    {
        bool failed = false;
        void Fail(YamlNode node, string message) { failed = true; problem(node, message); }

        foreach (var key in entry.Children.Keys)
            if (!EntryKeys.Contains(Text(key)))
                Fail(key, $"unknown key '{Text(key)}'; allowed keys: {string.Join(", ", EntryKeys)}");

        YamlNode? Get(string name) => entry.Children.TryGetValue(new YamlScalarNode(name), out var n) ? n : null;

        var metricNode = Get("metric");
        MetricDefinition? metric = null;
        if (metricNode is null)
            Fail(entry, "missing 'metric': the registry metric this event feeds");
        else if (registry.FindMetric(Text(metricNode)) is not { } found)
            Fail(metricNode, $"metric '{Text(metricNode)}' is not in registry '{registry.App}'");
        else if (found.BuiltIn)
            Fail(metricNode, $"metric '{found.Name}' is Candor's own; events cannot feed it");
        else
            metric = found;

        string? payloadType = null;
        if (Get("payload") is { } payloadNode)
        {
            payloadType = Text(payloadNode);
            if (!GVariantTypeString.IsValid(payloadType))
                Fail(payloadNode, $"'{payloadType}' is not a GVariant type string such as s, u, (uu) or a{{ss}}");
        }

        int? field = null;
        if (Get("field") is { } fieldNode)
        {
            if (!int.TryParse(Text(fieldNode), NumberStyles.None, CultureInfo.InvariantCulture, out int f))
                Fail(fieldNode, "'field' is the 0-based index of a member of a tuple payload");
            else if (payloadType is null || GVariantTypeString.TupleMembers(payloadType) is not { } members || f >= members.Count)
                Fail(fieldNode, $"'field: {f}' needs a tuple 'payload' with more than {f} members");
            else
                field = f;
        }

        var value = MappedValue.Occurrences;
        if (Get("value") is { } valueNode)
        {
            if (!Enum.TryParse(Text(valueNode), ignoreCase: true, out value) || !Enum.IsDefined(value) || Text(valueNode).Any(char.IsUpper))
                Fail(valueNode, $"unknown value '{Text(valueNode)}'; allowed: occurrences, payload, count, duration");
        }
        else if (metric is { Type: MetricType.Enum })
            value = MappedValue.Payload;

        var values = ImmutableDictionary<string, string>.Empty;
        if (Get("values") is YamlMappingNode valuesNode)
        {
            var builder = ImmutableDictionary.CreateBuilder<string, string>();
            foreach (var (from, to) in valuesNode.Children)
            {
                if (metric is { Type: MetricType.Enum } && !metric.Values.Contains(Text(to)))
                    Fail(to, $"'{Text(to)}' is not an allowed value of enum '{metric.Name}' ({string.Join(", ", metric.Values)})");
                builder[Text(from)] = Text(to);
            }
            values = builder.ToImmutable();
        }
        else if (Get("values") is { } badValues)
            Fail(badValues, "'values' maps payload values to the metric's values, e.g. { \"70\": connected }");

        if (metric is not null)
        {
            string? wrong = (metric.Type, value) switch
            {
                (MetricType.Counter or MetricType.Flag, MappedValue.Occurrences) => null,
                (MetricType.Counter or MetricType.Flag, _) => $"a {Lower(metric.Type)} counts occurrences; 'value: {Lower(value)}' does not apply",
                (MetricType.Enum, MappedValue.Payload) => null,
                (MetricType.Enum, _) => "an enum takes its value from the payload ('value: payload')",
                (_, MappedValue.Occurrences) => $"a {Lower(metric.Type)} needs 'value: payload', 'count' or 'duration'",
                _ => null,
            };
            if (wrong is not null)
                Fail(Get("value") ?? metricNode!, wrong);
            if (value == MappedValue.Payload && payloadType is null)
                Fail(entry, "'value: payload' needs the event's 'payload' type");
            if (value == MappedValue.Payload && payloadType is not null && field is null && GVariantTypeString.TupleMembers(payloadType) is not null)
                Fail(entry, $"payload '{payloadType}' is a tuple: name the member with 'field'");
            if (value != MappedValue.Payload && values.Count > 0)
                Fail(Get("values")!, "'values' only applies with 'value: payload'");
        }

        if (failed || metric is null)
            return null;
        var name = Get("name") is { } n ? Text(n) : null;
        return new EventMapping(id, name, metric, payloadType, field, value, values, (int)entry.Start.Line);
    }

    private static string Text(YamlNode node) => node is YamlScalarNode s ? s.Value ?? "" : "";

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}
