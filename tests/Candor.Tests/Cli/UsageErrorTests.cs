using Candor.Tests.Infrastructure;

namespace Candor.Tests.Cli;

/// <summary>
/// A command line that does not parse gets one line on standard error, exit code 2, a did-you-mean or
/// hint where one exists, and no help text (the help is for --help). Through the real candor tool.
/// </summary>
public sealed class UsageErrorTests
{
    private static readonly string Dir = Directory.CreateTempSubdirectory("candor-usage").FullName;

    private static async Task<string> OneLine(params string[] args)
    {
        var (exit, stdout, stderr) = await CandorProcess.RunAsync(Dir, args);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.DoesNotContain("Usage:", stderr);
        Assert.DoesNotContain("System.", stderr);
        return lines[0].TrimEnd('\r');
    }

    [Fact]
    public async Task A_misspelt_command_gets_a_did_you_mean() =>
        Assert.Equal("candor: unknown command 'serv' (did you mean 'serve'?)", await OneLine("serv"));

    [Fact]
    public async Task A_misspelt_subcommand_gets_a_did_you_mean() =>
        Assert.StartsWith("candor registry: unknown command 'validat' (did you mean 'validate'?", await OneLine("registry", "validat", "x.yaml"));

    [Fact]
    public async Task A_misspelt_option_gets_a_did_you_mean() =>
        Assert.Equal("candor serve: unknown option '--regsitry' (did you mean '--registry'? see 'candor serve --help')", await OneLine("serve", "--regsitry", "a.yaml"));

    [Fact]
    public async Task Port_is_answered_with_the_urls_option() =>
        Assert.Equal("candor serve: unknown option '--port' (set the port with --urls http://127.0.0.1:5080; see 'candor serve --help')", await OneLine("serve", "--port", "5000"));

    [Fact]
    public async Task A_number_option_given_a_word_says_so_in_plain_words() =>
        Assert.Equal("candor demo: --installations expects a whole number, not 'many' (see 'candor demo --help')", await OneLine("demo", "--installations", "many"));

    [Fact]
    public async Task A_missing_value_and_a_missing_command_name_what_is_needed()
    {
        Assert.Equal("candor serve: a value is needed after '--urls' (see 'candor serve --help')", await OneLine("serve", "--urls"));
        Assert.StartsWith("candor: a command is needed: demo, serve,", await OneLine());
        Assert.Equal("candor db copy: --from is required (see 'candor db copy --help')", await OneLine("db", "copy", "--to", "postgres://x/y"));
    }

    [Fact]
    public async Task A_word_nothing_resembles_lists_the_commands() =>
        Assert.StartsWith("candor: unknown command 'frobnicate' (commands: demo, serve,", await OneLine("frobnicate"));

    [Fact]
    public async Task Help_is_shown_only_when_asked_for_and_exits_0()
    {
        var (exit, stdout, stderr) = await CandorProcess.RunAsync(Dir, "serve", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("Usage:", stdout);
        Assert.Contains("--urls", stdout);
        Assert.Equal("", stderr);
    }
}
