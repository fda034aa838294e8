using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Cli;

/// <summary><c>candor demo</c>, the README's first command, as a process (a small population, then exit).</summary>
public sealed class DemoCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-demo-test-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task Demo_simulates_clients_over_http_and_prints_the_dashboard_address()
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); port = ((IPEndPoint)l.LocalEndpoint).Port; }
        var (exit, stdout, stderr) = await CandorProcess.RunAsync(_dir, "demo", "--installations", "60", "--weeks", "3", "--exit", "--urls", $"http://127.0.0.1:{port}");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains($"http://127.0.0.1:{port}/apps/org.example.editor", stdout);
        var summary = Regex.Match(stdout, @"([\d,]+) installations said yes, ([\d,]+) said no or never answered; ([\d,]+) batches uploaded, 0 failed");
        Assert.True(summary.Success, stdout);
        Assert.Equal(60, int.Parse(summary.Groups[1].Value.Replace(",", "")) + int.Parse(summary.Groups[2].Value.Replace(",", "")));
        Assert.True(int.Parse(summary.Groups[3].Value.Replace(",", "")) > 0, "nothing was uploaded");
        // The demo's reports are in a sealed, signed log at once, not an hour later.
        var seals = Regex.Matches(stdout, @"Sealed a log epoch: the log now has ([1-9]\d*) leaves").Select(m => long.Parse(m.Groups[1].Value)).ToList();
        Assert.NotEmpty(seals);
        // Sealed in steps while the population runs (one forced seal of everything at the end held every
        // pending entry in memory at once and doubled the demo's peak): several epochs, each log larger.
        Assert.True(seals.Count >= 2, $"{seals.Count} seal(s): " + stdout);
        Assert.Equal(seals.Order(), seals);
        // The demo runs the release job itself (the log line may come after the addresses: the console logger is asynchronous).
        Assert.Matches(@"Released [1-9]\d* final periods\.", stdout);
        Assert.Contains($"Transparency log:   http://127.0.0.1:{port}/v1/log/checkpoint", stdout);
        Assert.Matches(@"Operator metrics:   http://127\.0\.0\.1:\d+/metrics", stdout); // its own listener, not the dashboard's port
        Assert.DoesNotContain($"Operator metrics:   http://127.0.0.1:{port}/", stdout);
        Assert.DoesNotContain("fail:", stdout + stderr);
    }

    [Fact]
    public async Task Demo_refuses_nonsense_sizes_readably()
    {
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "demo", "--installations", "0", "--exit");
        Assert.Equal(1, exit);
        Assert.Contains("--installations must be", stderr);
    }
}
