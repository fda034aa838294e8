using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Candor.Tests.Repository;

/// <summary>
/// A fresh clone builds and passes its tests with nothing beside it: no tracked file may name a folder
/// outside the clone (the team's shared notes and vectors sit beside the checkout on developers'
/// machines, and a test that read them would pass there and fail for everyone else).
/// </summary>
public class StandsAloneTests
{
    // Ways a tracked file could reach outside the clone: the sibling "shared" folder by any spelling,
    // or the absolute path of the machine the repository was written on.
    private static readonly string[] OutsidePatterns =
    [
        @"\.\./shared",
        @"/work/shared",
        @"/work/main",
        @"shared/(vectors|reference|DESIGN\.md|STYLE\.md)",
    ];

    [Fact]
    public void No_tracked_file_refers_to_a_folder_outside_the_clone()
    {
        var root = RepositoryRoot();
        var args = new List<string> { "-C", root, "grep", "-n", "-I", "-E" };
        args.Add(string.Join("|", OutsidePatterns));
        // This file names the patterns it looks for.
        args.AddRange(["--", ".", ":(exclude)tests/Candor.Tests/Repository/StandsAloneTests.cs"]);
        var (code, output) = Git(args);
        // git grep exits 1 when nothing matches, 0 when something does; anything else is an error.
        Assert.True(code is 0 or 1, "git grep failed: " + output);
        Assert.True(code == 1, "Tracked files refer to folders outside the clone:\n" + output);
    }

    [Fact]
    public void The_check_finds_a_reference_when_one_exists()
    {
        // Positive control: the same search over a line that does name the sibling folder matches it.
        var root = RepositoryRoot();
        var (code, output) = Git(["-C", root, "grep", "-n", "-I", "-E", string.Join("|", OutsidePatterns), "--",
            "tests/Candor.Tests/Repository/StandsAloneTests.cs"]);
        Assert.Equal(0, code);
        Assert.Contains("/work/shared", output);
    }

    private static string RepositoryRoot([CallerFilePath] string source = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "..", ".."));

    private static (int Code, string Output) Git(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var git = Process.Start(start)!;
        var stdout = git.StandardOutput.ReadToEndAsync();
        var stderr = git.StandardError.ReadToEndAsync();
        git.WaitForExit();
        return (git.ExitCode, stdout.Result + stderr.Result);
    }
}
