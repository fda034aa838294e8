extern alias generators;
using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Candor.Client;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using TypedMetricsGenerator = generators::Candor.Client.Generators.TypedMetricsGenerator;

namespace Candor.Tests.TypedMetrics;

/// <summary>
/// Runs the typed-metrics generator the way the compiler does (a <see cref="CSharpGeneratorDriver"/>
/// over a real compilation that references Candor.Client), with registry files as AdditionalFiles.
/// </summary>
public sealed class GeneratorHarness
{
    public sealed record Result(Compilation Compilation, ImmutableArray<Diagnostic> GeneratorDiagnostics, string? Source, GeneratorDriver Driver)
    {
        /// <summary>Errors of the compilation with the generated code in it.</summary>
        public IReadOnlyList<Diagnostic> CompileErrors =>
            Compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();

        /// <summary>Emits the compilation and loads it, for tests that run the generated code.</summary>
        public Assembly Load()
        {
            using var stream = new MemoryStream();
            var emit = Compilation.Emit(stream);
            Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
            stream.Position = 0;
            return new AssemblyLoadContext(null, isCollectible: true).LoadFromStream(stream);
        }
    }

    public const string RegistryPath = "/app/metrics.yaml";

    public static Result Run(string registryYaml, string code = "", bool markAsRegistry = true, string? rootNamespace = "Example.Editor",
        string path = RegistryPath)
    {
        var compilation = CSharpCompilation.Create("Example.Editor",
            [CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(LanguageVersion.Latest), path: "/app/Program.cs")],
            References(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var file = new InMemoryText(path, registryYaml);
        var fileOptions = new Dictionary<string, string>();
        if (markAsRegistry)
            fileOptions["build_metadata.AdditionalFiles.CandorRegistry"] = "true";
        var global = new Dictionary<string, string>();
        if (rootNamespace is not null)
            global["build_property.RootNamespace"] = rootNamespace;
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [new TypedMetricsGenerator().AsSourceGenerator()],
            additionalTexts: [file],
            parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
            optionsProvider: new OptionsProvider(global, new() { [path] = fileOptions }),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        var source = driver.GetRunResult().GeneratedTrees.FirstOrDefault()?.ToString();
        return new Result(output, diagnostics, source, driver);
    }

    /// <summary>The few assemblies generated code and the tests' snippets touch: fewer references, quicker compiles.</summary>
    private static readonly MetadataReference[] s_references =
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p) is "System.Private.CoreLib.dll" or "System.Runtime.dll" or "netstandard.dll")
            .Append(typeof(CandorClient).Assembly.Location)
            .Append(typeof(Candor.Registry.MetricRegistry).Assembly.Location)
            .Distinct()
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray();

    private static IEnumerable<MetadataReference> References() => s_references;

    private sealed class InMemoryText(string path, string text) : AdditionalText
    {
        public override string Path => path;
        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
    }

    private sealed class OptionsProvider(Dictionary<string, string> global, Dictionary<string, Dictionary<string, string>> perFile) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions => new Options(global);
        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options([]);
        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Options(perFile.GetValueOrDefault(textFile.Path) ?? []);
    }

    private sealed class Options(Dictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) =>
            values.TryGetValue(key, out value);
    }
}
