using Candor.Client;
using Candor.Registry;
using Candor.Tests.Client;
using Microsoft.CodeAnalysis;

namespace Candor.Tests.TypedMetrics;

/// <summary>
/// The source generator shipped in Candor.Client: the registry file becomes typed handles, and a
/// registry the collector would refuse is a compile error at the registry's own line.
/// </summary>
public sealed class TypedMetricsGeneratorTests
{
    private static readonly string EditorRegistry = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "registries", "desktop-editor.yaml"));

    [Fact]
    public void Every_metric_of_the_registry_becomes_a_typed_handle_that_compiles()
    {
        var result = GeneratorHarness.Run(EditorRegistry, """
            namespace Example.Editor;
            public static class Uses
            {
                public static void Record()
                {
                    Metrics.App.Launches.Increment();
                    Metrics.App.Launches.Add(3);
                    Metrics.System.Os.Set(Metrics.System.Os.Value.Linux);
                    Metrics.System.Arch.Set(Metrics.System.Arch.Value.X86_64);
                    Metrics.Install.AgeDays.Record(120);
                }
            }
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.CompileErrors);
        Assert.NotNull(result.Source);
        Assert.Contains("namespace Example.Editor;", result.Source);
        Assert.Contains("App.Launches.s_handle = client.Counter(\"app.launches\");", result.Source);
        // Built-ins are the library's business, not the app's.
        Assert.DoesNotContain("candor.active", result.Source);
    }

    [Fact]
    public void A_misspelt_metric_is_a_compile_error_instead_of_a_count_lost_at_run_time()
    {
        var result = GeneratorHarness.Run(EditorRegistry, """
            namespace Example.Editor;
            public static class Uses { public static void Record() => Metrics.App.Launchs.Increment(); }
            """);

        var error = Assert.Single(result.CompileErrors);
        Assert.Equal("CS0117", error.Id); // 'Metrics.App' does not contain a definition for 'Launchs'
    }

    [Fact]
    public void An_enum_value_the_registry_does_not_allow_does_not_compile()
    {
        var result = GeneratorHarness.Run(EditorRegistry, """
            namespace Example.Editor;
            public static class Uses { public static void Record() => Metrics.System.Os.Set(Metrics.System.Os.Value.Beos); }
            """);

        Assert.Contains(result.CompileErrors, e => e.Id == "CS0117");
    }

    [Fact]
    public void Generated_handles_record_exactly_what_the_string_api_records()
    {
        var result = GeneratorHarness.Run(EditorRegistry, """
            namespace Example.Editor;
            public static class Uses
            {
                public static void Record(Candor.Client.CandorClient client)
                {
                    Metrics.App.Launches.Increment(); // before Bind: nothing to record into, nothing recorded
                    Metrics.Bind(client);
                    for (int i = 0; i < 7; i++) Metrics.App.Launches.Increment();
                    Metrics.System.Os.Set(Metrics.System.Os.Value.Linux);
                    Metrics.Feature.Spellcheck.Set();
                    Metrics.Startup.Ms.Record(130);
                }
            }
            """);
        var registry = RegistryParser.Parse(EditorRegistry, "desktop-editor.yaml");
        using var typedKit = new ClientTestKit();
        using var stringKit = new ClientTestKit();
        using var typed = CandorClient.Create(typedKit.Options(registry: registry));
        using var byName = CandorClient.Create(stringKit.Options(registry: registry));
        typed.GrantConsent();
        byName.GrantConsent();

        result.Load().GetType("Example.Editor.Uses")!.GetMethod("Record")!.Invoke(null, [typed]);
        for (int i = 0; i < 7; i++) byName.Counter("app.launches").Increment();
        byName.Enum("system.os").Set("linux");
        byName.Flag("feature.spellcheck").Set();
        byName.Histogram("startup.ms").Record(130);

        var shown = typed.Show().Select(i => i.ToString()).ToList();
        Assert.NotEmpty(shown);
        Assert.Equal(byName.Show().Select(i => i.ToString()), shown);
    }

    [Fact]
    public void A_registry_problem_is_a_compiler_error_at_the_registrys_file_line_and_column()
    {
        var broken = EditorRegistry.Replace("buckets: [1, 2, 5, 10, 20, 50, 100]", "buckets: [1, 2, 10, 5]");
        var expected = Assert.Single(Assert.Throws<RegistryException>(() => RegistryParser.Parse(broken, GeneratorHarness.RegistryPath)).Problems);

        var result = GeneratorHarness.Run(broken);

        var error = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("CANDOR001", error.Id);
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);
        var at = error.Location.GetLineSpan();
        Assert.Equal(GeneratorHarness.RegistryPath, at.Path);
        Assert.Equal((expected.Line, expected.Column), (at.StartLinePosition.Line + 1, at.StartLinePosition.Character + 1));
        Assert.Equal($"{expected.Field}: {expected.Message}", error.GetMessage());
        Assert.Null(result.Source);
    }

    /// <summary>Registries the collector's parser refuses, one rule each: the generator must refuse each the same way.</summary>
    public static TheoryData<string> BrokenRegistries => new()
    {
        "app: Not An Id\nversion: 1\ncategories: {}\nmetrics: {}\n",
        "app: org.example.x\nversion: 1\ncategories:\n  usage: { description: d }\nmetrics:\n  app.x:\n    type: counter\n    category: usage\n    period: week\n    buckets: [1, 2]\n    description: d\n    purpose: p\n    expires: 2027-02-30\n",
        "app: org.example.x\nversion: 1\ncategories:\n  usage: { description: d }\nmetrics:\n  app.x:\n    type: enum\n    category: usage\n    period: month\n    values: [a, a, 'B c']\n    description: d\n    purpose: p\n    expires: never\n    colour: red\n",
        "app: org.example.x\nversion: 1\ncategories:\n  usage: { description: d }\nmetrics:\n  app.x:\n    type: quantity\n    category: usag\n    period: week\n    transform: log10\n    local_privacy: { epsilon: 40 }\n    description: d\n    purpose: p\n    expires: never\n  candor.mine:\n    type: flag\n",
        "app: org.example.x\nversion: 1\ncategories:\n  usage: { description: [d }\n",
        "app: org.example.x\nversion: 1\nversion: 2\n",
        "",
    };

    [Theory]
    [MemberData(nameof(BrokenRegistries))]
    public void The_generator_and_the_collector_refuse_the_same_registries_with_the_same_problems(string yaml)
    {
        var expected = Assert.Throws<RegistryException>(() => RegistryParser.Parse(yaml, GeneratorHarness.RegistryPath)).Problems
            .Select(p => $"{p.Line}:{p.Column} {p.Field}: {p.Message}").ToList();

        var actual = GeneratorHarness.Run(yaml).GeneratorDiagnostics
            .Select(d => $"{d.Location.GetLineSpan().StartLinePosition.Line + 1}:{d.Location.GetLineSpan().StartLinePosition.Character + 1} {d.GetMessage()}").ToList();

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void The_generator_and_the_collector_accept_the_shipped_registries()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "registries"), "*.yaml"))
        {
            var yaml = File.ReadAllText(file);
            RegistryParser.Parse(yaml, file); // the collector accepts it...
            var result = GeneratorHarness.Run(yaml, path: file);
            Assert.Empty(result.GeneratorDiagnostics); // ...and so does the compiler
            Assert.Empty(result.CompileErrors);
        }
    }

    [Fact]
    public void Metrics_whose_CSharp_names_clash_are_a_warning_and_keep_the_string_api()
    {
        const string yaml = """
            app: org.example.x
            version: 1
            categories:
              usage: { description: d }
            metrics:
              app.opened1:
                type: counter
                category: usage
                period: week
                buckets: [1]
                description: d
                purpose: p
                expires: never
              app.opened_1:
                type: counter
                category: usage
                period: week
                buckets: [1]
                description: d
                purpose: p
                expires: never
              app.saved:
                type: counter
                category: usage
                period: week
                buckets: [1]
                description: d
                purpose: p
                expires: never
              app.saved.increment:
                type: flag
                category: usage
                period: week
                description: d
                purpose: p
                expires: never
            """;

        var result = GeneratorHarness.Run(yaml);

        Assert.Empty(result.CompileErrors);
        Assert.Equal([(14, "app.opened_1"), (30, "app.saved.increment")], result.GeneratorDiagnostics
            .Select(d => (d.Location.GetLineSpan().StartLinePosition.Line + 1, d.GetMessage().Split(':')[0]["metrics.".Length..])));
        Assert.All(result.GeneratorDiagnostics, d => Assert.Equal(("CANDOR002", DiagnosticSeverity.Warning), (d.Id, d.Severity)));
        Assert.Contains("client.Counter(\"app.opened_1\")", result.GeneratorDiagnostics[0].GetMessage());
        Assert.Contains("App.Opened1.s_handle = client.Counter(\"app.opened1\")", result.Source);
    }

    [Fact]
    public void Additional_files_not_marked_as_the_registry_are_left_alone()
    {
        var result = GeneratorHarness.Run(EditorRegistry, markAsRegistry: false);

        Assert.Null(result.Source);
        Assert.Empty(result.GeneratorDiagnostics);
    }

    [Fact]
    public void Editing_code_does_not_parse_the_registry_again()
    {
        var first = GeneratorHarness.Run(EditorRegistry, "class A { }");
        var edited = first.Compilation.ReplaceSyntaxTree(first.Compilation.SyntaxTrees.First(),
            Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText("class B { }", path: "/app/Program.cs"));

        var run = first.Driver.RunGenerators(edited).GetRunResult().Results.Single();

        var steps = run.TrackedSteps["CandorRegistry"];
        Assert.All(steps.SelectMany(s => s.Outputs), o => Assert.Contains(o.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
    }
}
