using System.Net;
using System.Text.Json;
using Candor.Collector;
using Candor.Collector.Hosting;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Operations;

/// <summary>What the collector writes to its log: settings at start-up, one line per outage, JSON on request.</summary>
public sealed class LogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-logs-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    [Fact]
    public async Task An_outage_writes_one_error_line_then_one_line_with_the_count_when_the_store_is_back()
    {
        await using var host = await CollectorHost.StartAsync();
        StoreBreaker.RenameRollups(host.DatabasePath, "rollups", "rollups_away");
        for (int i = 0; i < 25; i++)
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        host.Clock.Advance(TimeSpan.FromSeconds(90));
        StoreBreaker.RenameRollups(host.DatabasePath, "rollups_away", "rollups");
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);

        var records = host.Logs.Lines.Where(l => l.Contains("Candor.Collector.Ingest.IngestQueue:")).ToList();
        Assert.Equal(2, records.Count);
        Assert.StartsWith("Error", records[0]);
        Assert.Contains("Storing a group of 1 batches failed", records[0]);
        Assert.StartsWith("Warning", records[1]);
        Assert.Contains("The store is back: 25 group commits (25 batches) failed and were answered 503 over 90 s.", records[1]);
    }

    [Fact]
    public async Task Start_up_logs_the_settings_in_force()
    {
        await using var host = await CollectorHost.StartAsync(o => o.RetentionDays = 45);
        var line = Assert.Single(host.Logs.Lines, l => !l.StartsWith("  ") && l.Contains("Settings in force:"));
        Assert.Contains($"Database={host.DatabasePath}", line);
        Assert.Contains("RetentionDays=45", line);
        Assert.Contains("RateLimitPerAddressPerSecond=0", line);
        Assert.Contains("Urls=[http://127.0.0.1:0]", line);
        // Nested sections are spelled out, not shown as their type's name.
        Assert.Contains("PrivacyPass=DefaultMode=Off, Issuer=False", line);
        Assert.Contains("Transparency=Enabled=True", line);
        Assert.DoesNotContain("Candor.Collector.", line[line.IndexOf("Settings in force:", StringComparison.Ordinal)..]);
    }

    [Theory]
    [InlineData("Host=db.internal;Database=candor;Username=candor;Password=hunter2-secret")]
    [InlineData("postgres://candor:hunter2-secret@db.internal:5432/candor?sslmode=require")]
    [InlineData("Host=db.internal;Database=candor;Username=candor;Password=hunter2-secret;SSL Password=hunter2-secret")]
    public void The_settings_line_masks_database_passwords(string database)
    {
        var line = CollectorSettingsLog.Describe(new CollectorOptions { Database = database });
        Assert.DoesNotContain("hunter2", line);
        Assert.Contains("Password=***", line);
        Assert.Contains("Host=db.internal", line);
    }

    [Fact]
    public async Task With_log_format_json_candor_serve_writes_one_json_object_per_line()
    {
        int port = LoopbackClient.FreePort();
        using var serve = CandorProcess.Start(_dir, new Dictionary<string, string> { ["CANDOR_LogFormat"] = "Json" },
            "serve", "--db", Path.Combine(_dir, "c.db"), "--urls", $"http://127.0.0.1:{port}");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await serve.WaitUntilHealthyAsync(http);
        for (int i = 0; i < 50 && !serve.Stdout.Contains("Settings in force"); i++)
            await Task.Delay(100);

        var lines = serve.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            using var record = JsonDocument.Parse(line); // throws on any line that is not one JSON object
            Assert.True(record.RootElement.TryGetProperty("LogLevel", out _), line);
        }
        Assert.Contains(lines, l => l.Contains("Settings in force") && l.Contains("\"Category\":\"Candor.Collector"));
    }
}
