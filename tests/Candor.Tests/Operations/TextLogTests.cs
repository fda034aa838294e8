using System.Text.RegularExpressions;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Operations;

/// <summary>Text logs of <c>candor serve</c>: every record starts with its UTC time, to the millisecond.</summary>
public sealed class TextLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-textlog-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    [Fact]
    public async Task Every_text_log_record_starts_with_a_utc_timestamp_and_the_banner_names_the_operator_listener()
    {
        int port = LoopbackClient.FreePort(), operatorPort = LoopbackClient.FreePort();
        using var serve = CandorProcess.Start(_dir, "serve", "--db", Path.Combine(_dir, "c.db"), "--urls", $"http://127.0.0.1:{port}",
            "--operator-urls", $"http://127.0.0.1:{operatorPort}");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await serve.WaitUntilHealthyAsync(http);
        for (int i = 0; i < 50 && !serve.Stdout.Contains("Settings in force"); i++)
            await Task.Delay(100);

        using var operatorClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{operatorPort}") };
        Assert.Contains("candor_build_info", await operatorClient.GetStringAsync("/metrics"));
        Assert.Contains($"operator listener (/metrics, /readyz) on http://127.0.0.1:{operatorPort}", serve.Stdout);

        var records = serve.Stdout.Split('\n').Where(l => Regex.IsMatch(l, @"\b(info|warn|fail|crit|dbug|trce): ")).ToList();
        Assert.Contains(records, r => r.Contains("Settings in force", StringComparison.Ordinal));
        foreach (var record in records)
        {
            var stamp = Regex.Match(record, @"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z (info|warn|fail|crit): ");
            Assert.True(stamp.Success, record);
            var at = DateTime.ParseExact(stamp.Groups[1].Value, "yyyy-MM-ddTHH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(at, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(1)); // UTC, not the host's zone
        }
    }
}
