using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Candor.Registry;

/// <summary>
/// A minimal YAML tree that keeps what the registry validator needs and YamlDotNet's representation
/// model does not: every key of a mapping (duplicates included, so they can be reported with both lines
/// rather than crash the load), the position of each node, and whether a scalar was quoted.
/// </summary>
internal abstract class RegistryYamlNode(Mark start)
{
    public int Line { get; } = (int)start.Line;
    public int Column { get; } = (int)start.Column;

    /// <summary>How the node is named in messages ("text", "a list", "a mapping").</summary>
    public abstract string Kind { get; }
}

internal sealed class RegistryYamlScalar(Mark start, string value, ScalarStyle style) : RegistryYamlNode(start)
{
    public string Value { get; } = value;

    /// <summary>Unquoted: only plain scalars may be read as numbers or as null.</summary>
    public bool IsPlain { get; } = style is ScalarStyle.Plain or ScalarStyle.Any;

    /// <summary>An empty value, <c>~</c> or <c>null</c>, as YAML's core schema reads them.</summary>
    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string Kind => IsNull ? "empty" : "text";
}

internal sealed class RegistryYamlSequence(Mark start, List<RegistryYamlNode> items) : RegistryYamlNode(start)
{
    public IReadOnlyList<RegistryYamlNode> Items { get; } = items;
    public override string Kind => "a list";
}

internal sealed class RegistryYamlMapping(Mark start, List<RegistryYamlEntry> entries) : RegistryYamlNode(start)
{
    /// <summary>Entries in file order, duplicate keys included.</summary>
    public IReadOnlyList<RegistryYamlEntry> Entries { get; } = entries;
    public override string Kind => "a mapping";
}

internal sealed record RegistryYamlEntry(RegistryYamlNode Key, RegistryYamlNode Value);

/// <summary>Reads one YAML document into a <see cref="RegistryYamlNode"/> tree with YamlDotNet's event parser.</summary>
internal sealed class RegistryYamlReader
{
    // A registry is four levels deep; the limit only stops a hostile file from overflowing the stack,
    // which would kill the process instead of producing a problem.
    private const int MaxDepth = 32;

    private readonly Parser _parser;
    private readonly Dictionary<string, RegistryYamlNode> _anchors = new(StringComparer.Ordinal);
    private Mark _lastGood = Mark.Empty;

    private RegistryYamlReader(string text) => _parser = new Parser(new StringReader(text));

    /// <summary>Returns the document's root, or null for a file with no document at all.</summary>
    /// <exception cref="YamlException">The text is not well-formed YAML, or holds more than one document.</exception>
    public static RegistryYamlNode? Read(string text)
    {
        var reader = new RegistryYamlReader(text);
        try
        {
            return reader.ReadStream();
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this instead of a SyntaxErrorException for some unclosed flow
            // collections ("[usage" followed by more lines); the last event read is the best position.
            throw new YamlException(reader._lastGood, reader._lastGood,
                "The YAML cannot be read past this point; is a '[', '{' or quote left open?");
        }
        catch (SyntaxErrorException e) when (e.Message.Contains("tab", StringComparison.OrdinalIgnoreCase)
                                             && FirstTabIndentation(text) is { } tab)
        {
            // YamlDotNet places this error at the enclosing mapping, often line 1; point at the tab itself.
            throw new SyntaxErrorException(tab, tab, "A tab is used for indentation; YAML indents with spaces only.");
        }
    }

    private RegistryYamlNode? ReadStream()
    {
        Consume<StreamStart>();
        if (_parser.Current is StreamEnd)
            return null;

        Consume<DocumentStart>();
        var root = ReadNode(depth: 0);
        Consume<DocumentEnd>();
        if (_parser.Current is DocumentStart second)
            throw new YamlException(second.Start, second.End, "A registry file holds exactly one YAML document; remove the second '---'.");
        Consume<StreamEnd>();
        return root;
    }

    private T Consume<T>() where T : ParsingEvent
    {
        var consumed = _parser.Consume<T>();
        _lastGood = consumed.Start;
        return consumed;
    }

    private RegistryYamlNode ReadNode(int depth)
    {
        var current = _parser.Current ?? throw new YamlException(_lastGood, _lastGood, "Unexpected end of the YAML.");
        if (depth > MaxDepth)
            throw new YamlException(current.Start, current.End, $"YAML is nested deeper than {MaxDepth} levels.");
        _lastGood = current.Start;

        RegistryYamlNode node;
        switch (current)
        {
            case AnchorAlias alias:
                _parser.MoveNext();
                return _anchors.TryGetValue(alias.Value.Value, out var target)
                    ? target
                    : throw new YamlException(alias.Start, alias.End, $"Unknown alias '*{alias.Value.Value}'.");

            case Scalar scalar:
                _parser.MoveNext();
                node = new RegistryYamlScalar(scalar.Start, scalar.Value, scalar.Style);
                break;

            case SequenceStart start:
                _parser.MoveNext();
                var items = new List<RegistryYamlNode>();
                while (_parser.Current is not SequenceEnd)
                    items.Add(ReadNode(depth + 1));
                Consume<SequenceEnd>();
                node = new RegistryYamlSequence(start.Start, items);
                break;

            case MappingStart start:
                _parser.MoveNext();
                var entries = new List<RegistryYamlEntry>();
                while (_parser.Current is not MappingEnd)
                {
                    var key = ReadNode(depth + 1);
                    var value = ReadNode(depth + 1);
                    entries.Add(new RegistryYamlEntry(key, value));
                }
                Consume<MappingEnd>();
                node = new RegistryYamlMapping(start.Start, entries);
                break;

            default:
                throw new YamlException(current.Start, current.End, $"Unexpected YAML event {current.GetType().Name}.");
        }

        // Registered after the node is complete, so an alias inside its own anchor is unknown rather
        // than a cycle.
        if (current is NodeEvent { Anchor.IsEmpty: false } withAnchor)
            _anchors[withAnchor.Anchor.Value] = node;
        return node;
    }

    private static Mark? FirstTabIndentation(string text)
    {
        var line = 1;
        var column = 1;
        var inIndentation = true;
        foreach (var c in text)
        {
            if (c == '\n')
            {
                (line, column, inIndentation) = (line + 1, 1, true);
                continue;
            }
            if (inIndentation && c == '\t')
                return new Mark(0, line, column);
            if (c != ' ')
                inIndentation = false;
            column++;
        }
        return null;
    }
}
