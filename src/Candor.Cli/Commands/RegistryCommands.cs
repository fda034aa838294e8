using System.CommandLine;
using System.Globalization;
using Candor.Collector;
using Candor.Collector.Publishing;
using Candor.Registry;

namespace Candor.Cli.Commands;

/// <summary><c>candor registry validate|docs</c>: check a registry before shipping it, and explain it.</summary>
public static class RegistryCommands
{
    public static Command Create()
    {
        var command = new Command("registry", "Check and document metric registries.");
        command.Subcommands.Add(Validate());
        command.Subcommands.Add(Docs());
        return command;
    }

    private static Command Validate()
    {
        var files = new Argument<string[]>("file") { Description = "Registry YAML files.", Arity = ArgumentArity.OneOrMore };
        var perWeek = new Option<decimal?>("--epsilon-per-week")
        {
            Description = $"The collector's PublishEpsilonPerWeek, to show the budget it gives (default {CollectorOptions.DefaultEpsilonPerWeek.ToString(CultureInfo.InvariantCulture)}).",
        };
        var command = new Command("validate", "Check registry files; exit 1 and list every problem if any is invalid. Prints each registry's privacy budget per installation, week and year.") { files, perWeek };
        command.SetAction(parse =>
        {
            var epsilon = parse.GetValue(perWeek);
            if (epsilon is { } e && (e is <= 0 or > 1000 || e * 10000 != decimal.Truncate(e * 10000)))
            {
                Console.Error.WriteLine($"candor registry validate: --epsilon-per-week {e.ToString(CultureInfo.InvariantCulture)} must be above 0, at most 1000, with at most 4 decimals.");
                return 1;
            }
            int exit = 0;
            foreach (var file in parse.GetValue(files)!)
            {
                if (Load(file, "validate") is { } r)
                {
                    Console.WriteLine($"{file}: ok ({r.App} version {r.Version}, {r.Metrics.Length} metrics in {r.Categories.Length} categories)");
                    // The same split the collector's publisher makes, so what is printed here is what the dashboard will show.
                    Console.WriteLine($"  privacy budget{(epsilon is null ? " at the default PublishEpsilonPerWeek" : "")}: {PrivacyBudget.For(r, epsilon).Describe()}");
                }
                else
                    exit = 1;
            }
            return exit;
        });
        return command;
    }

    private static Command Docs()
    {
        var file = new Argument<string>("file") { Description = "Registry YAML file." };
        var output = new Option<string?>("--output", "-o") { Description = "Write the Markdown to this file instead of standard output." };
        var command = new Command("docs", "Write the \"what we collect and why\" page of a registry as Markdown.") { file, output };
        command.SetAction(parse =>
        {
            var registry = Load(parse.GetValue(file)!, "docs");
            if (registry is null)
                return 1;
            var markdown = RegistryDocs.ToMarkdown(registry);
            if (parse.GetValue(output) is { } path)
                File.WriteAllText(path, markdown);
            else
                Console.Out.Write(markdown);
            return 0;
        });
        return command;
    }

    private static MetricRegistry? Load(string file, string verb)
    {
        try
        {
            return RegistryParser.ParseFile(file);
        }
        catch (RegistryException e)
        {
            foreach (var p in e.Problems)
                Console.Error.WriteLine(p);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"candor registry {verb}: cannot read {file}: {e.Message}");
            return null;
        }
    }
}
