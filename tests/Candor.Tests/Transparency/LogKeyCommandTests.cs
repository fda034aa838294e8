using Candor.Tests.Infrastructure;
using Candor.Transparency;

namespace Candor.Tests.Transparency;

/// <summary><c>candor log key</c> as an operator runs it: the real process prints the key the running collector serves.</summary>
public sealed class LogKeyCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-log-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Log_key_prints_the_verifier_key_the_collector_serves()
    {
        var db = Path.Combine(_dir, "candor.db");
        string served;
        await using (var host = await CollectorHost.StartAsync(o => { o.Database = db; o.Transparency.Origin = "metrics.example.org/candor-log"; }, directory: _dir))
            served = await host.Client.GetStringAsync("/v1/log/key");
        using var process = CandorProcess.Start(_dir, new Dictionary<string, string> { ["CANDOR_Transparency__Origin"] = "metrics.example.org/candor-log" },
            "log", "key", "--db", db);
        var (exit, stdout, stderr) = (await process.WaitAsync(TimeSpan.FromSeconds(60)), process.Stdout, process.Stderr);
        Assert.True(exit == 0, stderr);
        Assert.Equal(served, stdout);
        Assert.StartsWith("metrics.example.org/candor-log+", stdout);
        Assert.True(NoteVerifierKey.TryParse(stdout, out _, out var reason), reason);
    }

    [Fact]
    public async Task Log_key_without_a_key_file_is_a_one_line_error_and_creates_nothing()
    {
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "log", "key", "--db", Path.Combine(_dir, "none.db"));
        Assert.Equal(1, exit);
        Assert.StartsWith("candor log key: no key file at ", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Empty(Directory.GetFiles(_dir));
    }
}
