namespace Candor.Registry;

/// <summary>
/// One thing wrong with a registry file, located precisely enough for an editor to jump to it:
/// <c>editor.yaml:14:5: metrics.app.launches.buckets: buckets must be strictly increasing (5 follows 10)</c>.
/// </summary>
/// <param name="File">The file name as it was given to the parser.</param>
/// <param name="Line">1-based line of the field named by <paramref name="Field"/>.</param>
/// <param name="Column">1-based column of the field named by <paramref name="Field"/>.</param>
/// <param name="Field">
/// Dotted path of the field, e.g. <c>metrics.app.launches.buckets</c> or <c>metrics.system.os.values[2]</c>;
/// <c>(yaml)</c> when the file is not well-formed YAML.
/// </param>
/// <param name="Message">What is wrong, in words a registry author can act on.</param>
public sealed record RegistryProblem(string File, int Line, int Column, string Field, string Message)
{
    /// <summary>Field name used for problems found before the registry structure could be read.</summary>
    public const string YamlField = "(yaml)";

    /// <summary>The problem as <c>file:line:column: field: message</c>, the form editors and CI logs link to.</summary>
    public override string ToString() => $"{File}:{Line}:{Column}: {Field}: {Message}";
}
