using System.Collections.Immutable;
using Candor.Registry;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Candor.Client.Generators;

/// <summary>
/// Turns the application's registry file into typed handles: an <c>AdditionalFiles</c> item with
/// <c>CandorRegistry="true"</c> becomes <c>Metrics.App.Launches.Increment()</c>, so a misspelt metric is a
/// compile error instead of a silently dropped count. The registry is read by the collector's own parser
/// (compiled into this assembly), so the compiler refuses exactly the files the collector refuses, at
/// the same file:line:column.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class TypedMetricsGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var registries = context.AdditionalTextsProvider
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Select((pair, cancel) =>
            {
                var (file, options) = pair;
                var fileOptions = options.GetOptions(file);
                if (!fileOptions.TryGetValue("build_metadata.AdditionalFiles.CandorRegistry", out var flag)
                    || !string.Equals(flag, "true", StringComparison.OrdinalIgnoreCase))
                    return null;
                string? ns = options.GlobalOptions.TryGetValue("build_property.CandorMetricsNamespace", out var n) && !string.IsNullOrWhiteSpace(n)
                    ? n.Trim()
                    : options.GlobalOptions.TryGetValue("build_property.RootNamespace", out var root) && !string.IsNullOrWhiteSpace(root) ? root.Trim() : null;
                string className = fileOptions.TryGetValue("build_metadata.AdditionalFiles.CandorMetricsClass", out var c) && !string.IsNullOrWhiteSpace(c)
                    ? c.Trim()
                    : "Metrics";
                return new RegistryInput(file.Path, file.GetText(cancel)?.ToString(), ns, className);
            })
            .Where(input => input is not null)
            .Select((input, _) => Generate(input!))
            .WithTrackingName("CandorRegistry");

        context.RegisterSourceOutput(registries, static (spc, generated) =>
        {
            var text = generated.Text is null ? null : SourceText.From(generated.Text);
            foreach (var problem in generated.Problems)
                spc.ReportDiagnostic(Diagnostic.Create(Descriptor(problem.DescriptorId), Locate(problem, text), problem.Message));
            if (generated.Source is not null)
                spc.AddSource(generated.HintName, generated.Source);
        });
    }

    /// <summary>Parses one registry and writes its source, or lists its problems. Pure: tests call it too.</summary>
    internal static GeneratedRegistry Generate(RegistryInput input)
    {
        var hint = HintName(input);
        if (input.Text is null)
            return new GeneratedRegistry(hint, null, [new ProblemAt(RegistryDiagnostics.Unreadable.Id, input.Path, 1, 1, input.Path)], null);
        MetricRegistry registry;
        try
        {
            registry = RegistryParser.Parse(input.Text, input.Path);
        }
        catch (RegistryException e)
        {
            return new GeneratedRegistry(hint, null,
                e.Problems.Select(p => new ProblemAt(RegistryDiagnostics.InvalidRegistry.Id, input.Path, p.Line, p.Column, $"{p.Field}: {p.Message}")).ToList(),
                input.Text);
        }
        var writer = new MetricsSourceWriter(registry, input.Namespace, input.ClassName, input.Path);
        var source = writer.Write();
        return new GeneratedRegistry(hint, source, writer.Clashes, input.Text);
    }

    private static string HintName(RegistryInput input)
    {
        var name = new string(Path.GetFileNameWithoutExtension(input.Path).Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());
        return $"{input.ClassName}.{name}.g.cs";
    }

    private static DiagnosticDescriptor Descriptor(string id) => id switch
    {
        "CANDOR001" => RegistryDiagnostics.InvalidRegistry,
        "CANDOR002" => RegistryDiagnostics.NameClash,
        _ => RegistryDiagnostics.Unreadable,
    };

    /// <summary>A location in the registry file, so the build output and the editor point at the line to fix.</summary>
    private static Location Locate(ProblemAt problem, SourceText? text)
    {
        var position = new LinePosition(Math.Max(0, problem.Line - 1), Math.Max(0, problem.Column - 1));
        var span = new TextSpan(0, 0);
        if (text is not null && position.Line < text.Lines.Count)
        {
            var line = text.Lines[position.Line];
            int start = Math.Min(line.Start + position.Character, line.End);
            span = TextSpan.FromBounds(start, line.End);
            position = text.Lines.GetLinePosition(start);
        }
        return Location.Create(problem.Path, span, new LinePositionSpan(position, position));
    }
}
