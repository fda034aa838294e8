using System.Text.RegularExpressions;
using Candor.AspNetCore.Api;
using Candor.Collector.Api;

namespace Candor.Tests.Operations;

/// <summary>
/// Every problem the collector, the issuer and the relay answer is defined once, in
/// <see cref="ProblemTypes"/>, and docs/api.md's "Problem types" table is that catalogue in prose: each
/// catalogued type is documented with its status and title, each documented type exists. The consent API
/// of Candor.AspNetCore has its own small catalogue (<see cref="ConsentProblems"/>) and table
/// (docs/account-consent.md). A source scan shows no server code builds a problem outside them.
/// </summary>
public sealed partial class ProblemCatalogueTests
{
    private static readonly string Root = OpenApiContractTests.RepositoryRoot();

    /// <summary>The rows of a markdown table whose first cell is a backticked problem type: type, statuses, whole row.</summary>
    private static List<(string Type, HashSet<int> Statuses, string[] Cells)> DocumentedRows(string markdown, string heading)
    {
        var section = markdown[markdown.IndexOf(heading, StringComparison.Ordinal)..];
        var next = section.IndexOf("\n## ", heading.Length, StringComparison.Ordinal);
        if (next > 0)
            section = section[..next];
        var rows = new List<(string, HashSet<int>, string[])>();
        foreach (var line in section.Split('\n'))
        {
            if (!line.StartsWith("| `", StringComparison.Ordinal))
                continue;
            var cells = line.Trim().Trim('|').Split(" | ").Select(c => c.Trim()).ToArray();
            rows.Add((cells[0].Trim('`'), Statuses().Matches(cells[1]).Select(m => int.Parse(m.Value)).ToHashSet(), cells));
        }
        return rows;
    }

    private static List<(string Type, HashSet<int> Statuses, string[] Cells)> ApiTable() =>
        DocumentedRows(File.ReadAllText(Path.Combine(Root, "docs", "api.md")), "## Problem types");

    [Fact]
    public void Every_catalogued_problem_is_documented_in_api_md_with_its_status_and_title()
    {
        var table = ApiTable();
        Assert.True(table.Count >= 40, $"docs/api.md's problem table has only {table.Count} rows: is it broken by a blank line?");
        foreach (var problem in ProblemTypes.All)
        {
            var row = table.Where(r => r.Type == problem.Type).ToList();
            Assert.True(row.Count == 1, $"{problem} has {row.Count} rows in docs/api.md's problem table (want exactly one).");
            Assert.True(row[0].Statuses.Contains(problem.Status), $"docs/api.md documents {problem.Type} with status(es) {string.Join(", ", row[0].Statuses)}, the catalogue answers {problem.Status}.");
            Assert.True(row[0].Cells[2] == problem.Title, $"docs/api.md titles {problem.Type} '{row[0].Cells[2]}', the catalogue '{problem.Title}'.");
        }
    }

    [Fact]
    public void Every_problem_documented_in_api_md_is_in_the_catalogue_with_every_status_it_names()
    {
        foreach (var (type, statuses, _) in ApiTable())
        {
            var catalogued = ProblemTypes.All.Where(p => p.Type == type).Select(p => p.Status).ToHashSet();
            Assert.True(catalogued.Count > 0, $"docs/api.md documents {type}, which no code answers (not in ProblemTypes).");
            Assert.True(catalogued.SetEquals(statuses), $"docs/api.md gives {type} status(es) {string.Join(", ", statuses)}, the catalogue {string.Join(", ", catalogued)}.");
        }
    }

    [Fact]
    public void A_type_has_one_title_and_each_status_once()
    {
        foreach (var group in ProblemTypes.All.GroupBy(p => p.Type))
        {
            Assert.Single(group.Select(p => p.Title).Distinct());
            Assert.Equal(group.Count(), group.Select(p => p.Status).Distinct().Count());
        }
        Assert.All(ProblemTypes.All, p => Assert.InRange(p.Status, 400, 599));
    }

    [Fact]
    public void Every_consent_problem_is_documented_in_account_consent_md_and_nothing_more()
    {
        var table = File.ReadAllText(Path.Combine(Root, "docs", "account-consent.md"));
        var errors = table[table.IndexOf("### Errors", StringComparison.Ordinal)..];
        errors = errors[..errors.IndexOf("\n## ", StringComparison.Ordinal)];
        var rows = errors.Split('\n').Where(l => l.Contains("urn:candor:problem:", StringComparison.Ordinal)).ToList();
        foreach (var problem in ConsentProblems.All)
        {
            var row = rows.Where(r => r.Contains('`' + problem.Type + '`', StringComparison.Ordinal)).ToList();
            Assert.True(row.Count == 1, $"{problem.Type} has {row.Count} rows in docs/account-consent.md's error table.");
            Assert.StartsWith($"| {problem.Status} |", row[0]);
            Assert.Contains($"title \"{problem.Title}\"", row[0]);
        }
        foreach (Match m in DocumentedType().Matches(string.Join('\n', rows)))
            Assert.Contains(ConsentProblems.All, p => p.Type == m.Groups[1].Value);
    }

    /// <summary>
    /// Each reason an opened request can fail with becomes its own <c>ohttp-&lt;reason&gt;</c> type; a reason only a
    /// client meets (reading key configurations or sealed answers) never reaches the gateway's answer.
    /// </summary>
    [Fact]
    public void Every_reason_the_gateway_can_meet_opening_a_request_is_catalogued()
    {
        string[] clientOnly = ["bad-key-config", "bad-status", "not-a-response"];
        var reasons = Directory.EnumerateFiles(Path.Combine(Root, "src", "Candor.Core", "Ohttp"), "*.cs")
            .SelectMany(f => OhttpReason().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .ToHashSet();
        Assert.NotEmpty(reasons);
        foreach (var reason in reasons.Except(clientOnly))
            Assert.True(ProblemTypes.OhttpUnreadable.ContainsKey(reason), $"OhttpFormatException reason '{reason}' has no ohttp-{reason} entry in ProblemTypes.OhttpUnreadable.");
    }

    // ---- No problem outside the catalogue ----

    /// <summary>Ways code can build a problem answer by hand; the catalogues' own files are where it is allowed.</summary>
    [GeneratedRegex("""TypedResults\.Problem\(|\bResults\.Problem\(|new\s+(Microsoft\.AspNetCore\.Mvc\.)?ProblemDetails\b|\bValidationProblem\(|"urn:candor:problem:|ProblemDetailsContext\b""")]
    private static partial Regex HandBuiltProblem();

    private static readonly string[] Allowed =
    [
        "src/Candor.Collector/Api/ProblemType.cs",
        "src/Candor.Collector/Api/ProblemTypes.cs",
        "src/Candor.AspNetCore/Api/ConsentProblems.cs",
    ];

    private static IEnumerable<string> Findings(string path, string source) =>
        source.Split('\n').Select((line, i) => (line, i))
            .Where(x => HandBuiltProblem().IsMatch(x.line) && !x.line.TrimStart().StartsWith("///", StringComparison.Ordinal))
            .Select(x => $"{path}:{x.i + 1}: {x.line.Trim()}");

    [Fact]
    public void No_server_code_builds_a_problem_outside_the_catalogue()
    {
        var findings = new List<string>();
        foreach (var project in new[] { "Candor.Collector", "Candor.Cli", "Candor.AspNetCore" })
            foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, "src", project), "*.cs", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(Root, file).Replace('\\', '/');
                // DAP answers DAP's own problem types (urn:ietf:params:ppm:dap:error:*), built in Dap/DapProblem.cs by its specification.
                if (Allowed.Contains(relative) || relative.StartsWith("src/Candor.Collector/Dap/", StringComparison.Ordinal) || relative.Contains("/obj/", StringComparison.Ordinal))
                    continue;
                findings.AddRange(Findings(relative, File.ReadAllText(file)));
            }
        Assert.True(findings.Count == 0, "Problems built outside the catalogue (use an entry of ProblemTypes / ConsentProblems):\n" + string.Join('\n', findings));
    }

    [Theory]
    [InlineData("""return TypedResults.Problem(statusCode: 404, title: "Unknown app", type: "urn:candor:problem:unknown-app");""")]
    [InlineData("""await Results.Problem(statusCode: 503, title: "Relay busy").ExecuteAsync(http);""")]
    [InlineData("""var p = new ProblemDetails { Status = 400 };""")]
    [InlineData("""Content = "{\"type\":\"urn:candor:problem:not-through-gateway\"}";""")]
    public void The_scan_finds_a_problem_built_by_hand(string line)
    {
        // Positive control: the same scan over a line that does build a problem by hand reports it.
        Assert.Single(Findings("planted.cs", "namespace X;\n" + line + "\n"));
    }

    [Fact]
    public void The_scan_passes_answers_from_the_catalogue()
    {
        Assert.Empty(Findings("fine.cs", "return ProblemTypes.UnknownApp.Answer(\"This collector does not collect for 'x'.\");\n"));
    }

    [GeneratedRegex(@"\b([1-5]\d\d)\b")]
    private static partial Regex Statuses();

    [GeneratedRegex(@"`(urn:candor:problem:[a-z-]+)`")]
    private static partial Regex DocumentedType();

    [GeneratedRegex(@"OhttpFormatException\(""([a-z-]+)""")]
    private static partial Regex OhttpReason();
}
