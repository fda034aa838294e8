using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Candor.Cli.Usage;

/// <summary>
/// A command line that does not parse, told in one line on standard error with exit code 2: what is
/// wrong, a did-you-mean or a hint where one exists, and where the help is. System.CommandLine's own
/// answer was several error lines plus the whole help ("Required command was not provided." for a
/// misspelt command; "expected type 'System.Int32'"), which buried the one line that mattered.
/// </summary>
public static partial class UsageError
{
    /// <summary>The conventional exit code of a usage error (as in BSD's EX_USAGE family and most CLIs).</summary>
    public const int ExitCode = 2;

    /// <summary>Options people reach for that Candor spells differently: the hint says what to write instead.</summary>
    private static readonly Dictionary<string, string> Hints = new(StringComparer.Ordinal)
    {
        ["--port"] = "set the port with --urls http://127.0.0.1:5080",
        ["-p"] = "set the port with --urls http://127.0.0.1:5080",
        ["--host"] = "set the address with --urls http://0.0.0.0:5080",
        ["--listen"] = "set the address with --urls http://127.0.0.1:5080",
        ["--database"] = "the database is --db",
        ["--registries"] = "repeat --registry, or give several files after it",
    };

    /// <summary>The one line for <paramref name="parse"/>, or null when it parsed (or asks for help or the version).</summary>
    public static string? Describe(ParseResult parse)
    {
        if (parse.Errors.Count == 0)
            return null;
        var command = parse.CommandResult.Command;
        string path = CommandPath(command);
        string help = $"see '{path} --help'";

        // An unknown word comes first: the "required ..." errors that follow it are its consequences.
        if (parse.UnmatchedTokens.FirstOrDefault() is { } unknown)
        {
            if (unknown.StartsWith('-'))
            {
                string option = unknown.Split('=', 2)[0];
                string? hint = Hints.GetValueOrDefault(option) ?? DidYouMean(option, OptionNames(command));
                return $"{path}: unknown option '{option}'" + (hint is null ? $" ({help})" : $" ({hint}{(hint.EndsWith('?') ? " " : "; ")}{help})");
            }
            if (command.Subcommands.Count > 0)
            {
                string? hint = DidYouMean(unknown, command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name)));
                return $"{path}: unknown command '{unknown}'" + (hint is null ? $" (commands: {Commands(command)})" : $" ({hint})");
            }
            return $"{path}: unexpected argument '{unknown}' ({help})";
        }
        if (command.Subcommands.Count > 0 && command.Action is null)
            return $"{path}: a command is needed: {Commands(command)} ({help})";
        return $"{path}: {Plain(parse.Errors[0].Message)} ({help})";
    }

    /// <summary>Writes the line and returns <see cref="ExitCode"/>.</summary>
    public static int Report(string line, TextWriter error)
    {
        error.WriteLine(line);
        return ExitCode;
    }

    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is Command c; s = c.Parents.FirstOrDefault())
            names.Add(c is RootCommand ? "candor" : c.Name);
        return string.Join(' ', Enumerable.Reverse(names));
    }

    private static string Commands(Command command) => string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));

    private static IEnumerable<string> OptionNames(Command command)
    {
        for (Symbol? s = command; s is Command c; s = c.Parents.FirstOrDefault())
            foreach (var o in c.Options.Where(o => !o.Hidden && (c == command || o.Recursive)))
                foreach (var name in o.Aliases.Prepend(o.Name))
                    yield return name;
    }

    /// <summary>The closest candidate within two edits (or one the word begins), as "did you mean 'x'?".</summary>
    internal static string? DidYouMean(string word, IEnumerable<string> candidates)
    {
        var best = candidates.Distinct(StringComparer.Ordinal)
            .Select(c => (Name: c, Distance: c.StartsWith(word, StringComparison.Ordinal) && word.TrimStart('-').Length >= 2 ? 0 : Distance(word, c)))
            .Where(c => c.Distance <= Math.Min(2, Math.Max(1, word.Length / 3)))
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault();
        return best.Name is null ? null : $"did you mean '{best.Name}'?";
    }

    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }

    /// <summary>System.CommandLine's message with .NET type names in words and without a trailing period.</summary>
    internal static string Plain(string message)
    {
        // Lists come one per line ("Must be one of:\n\t'json'\n\t'csv'"): one line, comma-separated.
        message = Regex.Replace(message, @"'\s*\r?\n\s*'", "', '");
        message = Regex.Replace(message, @"\s*\r?\n\s*", " ");
        if (CannotParse().Match(message) is { Success: true } bad)
            return $"{bad.Groups[2].Value} expects {TypeWords(bad.Groups[3].Value)}, not '{bad.Groups[1].Value}'";
        message = ExpectedType().Replace(message, m => "expected " + TypeWords(m.Groups[1].Value));
        message = message.Replace("Required argument missing for option: ", "a value is needed after ", StringComparison.Ordinal)
                         .Replace("Required argument missing for command: ", "an argument is needed for ", StringComparison.Ordinal);
        if (OptionRequired().Match(message) is { Success: true } required)
            message = $"{required.Groups[1].Value} is required";
        return message.TrimEnd('.');
    }

    private static string TypeWords(string type) => type switch
    {
        "System.Int32" or "System.Int64" or "System.Int16" or "System.UInt32" or "System.UInt64" => "a whole number",
        "System.Decimal" or "System.Double" or "System.Single" => "a number",
        "System.Boolean" => "true or false",
        "System.DateOnly" => "a date (YYYY-MM-DD)",
        "System.DateTime" or "System.DateTimeOffset" => "a date and time (ISO 8601)",
        "System.TimeSpan" => "a duration (hh:mm:ss)",
        "System.Uri" => "a URL",
        "System.IO.FileInfo" or "System.IO.DirectoryInfo" => "a path",
        _ when type.StartsWith("System.Nullable`1[", StringComparison.Ordinal) => TypeWords(type["System.Nullable`1[".Length..].TrimEnd(']')),
        _ => "a " + type[(type.LastIndexOf('.') + 1)..].ToLowerInvariant(),
    };

    [GeneratedRegex(@"^Cannot parse argument '(.*)' for (?:option|command) '([^']+)' as expected type '([^']+)'\.?$")]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"expected type '([^']+)'")]
    private static partial Regex ExpectedType();

    [GeneratedRegex(@"^Option '([^']+)' is required\.?$")]
    private static partial Regex OptionRequired();
}
