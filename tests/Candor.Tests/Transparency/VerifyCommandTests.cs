using System.Net;
using System.Net.Sockets;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Transparency;

/// <summary><c>candor client verify</c>, <c>receipts</c> and <c>delete-reports</c> as a user runs them: the real tool in its own process.</summary>
public sealed class VerifyCommandTests : IDisposable
{
    private readonly ClientTestKit _kit = new();
    private readonly string _registry;

    public VerifyCommandTests()
    {
        _registry = Path.Combine(TestRegistries.WriteFiles(Path.Combine(_kit.DataDirectory, "..", Path.GetFileName(_kit.DataDirectory) + "-reg")), "test-v1.yaml");
    }

    public void Dispose()
    {
        _kit.Dispose();
        try { Directory.Delete(Path.GetDirectoryName(_registry)!, true); } catch (IOException) { }
    }

    private Task<(int Exit, string Stdout, string Stderr)> Candor(params string[] args) =>
        CandorProcess.RunAsync(_kit.DataDirectory, ["client", .. args, "--data-dir", _kit.DataDirectory, "--registry", _registry]);

    private static Uri ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }

    private static string OneLine(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return Assert.Single(lines).TrimEnd('\r');
    }

    [Fact]
    public async Task A_bad_log_key_is_refused_in_one_line_before_anything_is_asked()
    {
        var (exit, stdout, stderr) = await Candor("verify", "--collector", ClosedPort().ToString(), "--transport", "direct", "--log-key", "log.example+0000abcd+AgAA");
        Assert.Equal(1, exit);
        Assert.StartsWith("candor client: --log-key is not a log verifier key:", OneLine(stderr));
        Assert.Empty(stdout);

        (exit, _, stderr) = await Candor("verify", "--collector", ClosedPort().ToString(), "--transport", "direct", "--log-key", "no-plus-signs");
        Assert.Equal(1, exit);
        Assert.Equal("candor client: --log-key is not a log verifier key: a verifier key is name+keyid+key, with no spaces in the name.", OneLine(stderr));
    }

    [Fact]
    public async Task An_unreachable_collector_is_one_readable_line()
    {
        var closed = ClosedPort();
        var (exit, _, stderr) = await Candor("verify", "--collector", closed.ToString(), "--transport", "direct");
        Assert.Equal(1, exit);
        Assert.StartsWith($"candor client: the collector at {closed} cannot be reached:", OneLine(stderr));

        (exit, _, stderr) = await Candor("verify", "--collector", "ftp://example.org", "--transport", "direct");
        Assert.Equal(1, exit);
        Assert.Equal("candor client: --collector must be an http:// or https:// address, got 'ftp://example.org'.", OneLine(stderr));
    }

    [Fact]
    public async Task A_checkpoint_to_compare_that_cannot_be_read_is_one_line()
    {
        var missing = Path.Combine(_kit.DataDirectory, "no-such-checkpoint.txt");
        var (exit, _, stderr) = await Candor("verify", "--collector", ClosedPort().ToString(), "--transport", "direct", "--compare", missing);
        Assert.Equal(1, exit);
        Assert.StartsWith($"candor client: the checkpoint to compare ({missing}) cannot be read:", OneLine(stderr));
    }

    [Fact]
    public async Task With_nothing_sent_there_is_nothing_to_delete_and_no_receipt_to_show()
    {
        var (exit, stdout, _) = await Candor("receipts");
        Assert.Equal(0, exit);
        Assert.Contains("No receipts", stdout);

        (exit, stdout, _) = await Candor("delete-reports", "--collector", ClosedPort().ToString(), "--transport", "direct");
        Assert.Equal(0, exit);
        Assert.Equal("No sent report matches: nothing was asked of the collector.", stdout.Trim());
    }
}
