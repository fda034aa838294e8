using System.Net;
using Candor.Tests.Infrastructure;
using Candor.Tests.Operations;

namespace Candor.Tests.Cli;

/// <summary><c>candor serve</c> as an operator runs it: a separate process, real port, real file.</summary>
public sealed class ServeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-serve-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }


    [Fact]
    public async Task Serve_with_defaults_stores_in_data_under_the_working_directory_and_accepts_the_example_registry()
    {
        int port = LoopbackClient.FreePort();
        using var serve = CandorProcess.Start(_dir, "serve", "--urls", $"http://127.0.0.1:{port}");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await serve.WaitUntilHealthyAsync(http);

        var registry = await http.GetStringAsync("/v1/apps/org.example.editor/registry");
        Assert.Contains("\"versions\":[3,4]", registry); // both shipped versions; clients on 3 keep reporting
        var body = """{ "schema": 3, "period": "2026-11-22", "reports": [ { "metric": "candor.active", "value": true } ] }""";
        // The period must be today (UTC) for a real clock.
        body = body.Replace("2026-11-22", DateTime.UtcNow.ToString("yyyy-MM-dd"));
        var response = await http.PostAsync("/v1/apps/org.example.editor/reports", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(File.Exists(Path.Combine(_dir, "data", "candor.db")));
        Assert.Contains($"http://127.0.0.1:{port}", serve.Stdout);
    }

    [Fact]
    public async Task Serve_refuses_an_invalid_registry_with_a_readable_message()
    {
        var file = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(file, "app: Not Valid\nversion: 0\n");
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "serve", "--registry", file, "--urls", $"http://127.0.0.1:{LoopbackClient.FreePort()}");
        Assert.Equal(1, exit);
        Assert.Contains("a registry is invalid", stderr);
        Assert.Contains("bad.yaml:", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task Serve_refuses_a_changed_registry_that_keeps_its_version()
    {
        var file = Path.Combine(_dir, "r.yaml");
        File.WriteAllText(file, TestRegistries.V1);
        var db = Path.Combine(_dir, "c.db");
        int port = LoopbackClient.FreePort();
        using (var first = CandorProcess.Start(_dir, "serve", "--db", db, "--registry", file, "--urls", $"http://127.0.0.1:{port}"))
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await first.WaitUntilHealthyAsync(http);
        }
        File.WriteAllText(file, TestRegistries.V1.Replace("The operating system family.", "The OS family."));
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "serve", "--db", db, "--registry", file, "--urls", $"http://127.0.0.1:{LoopbackClient.FreePort()}");
        Assert.Equal(1, exit);
        Assert.Contains("already known with different content", stderr);
    }

    [Fact]
    public async Task Serve_refuses_bad_settings_with_a_readable_message()
    {
        var config = Path.Combine(_dir, "settings.json");
        File.WriteAllText(config, """{ "Candor": { "MaxBodyBytes": 10, "NextReportMinSeconds": 100, "NextReportMaxSeconds": 5 } }""");
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "serve", "--config", config, "--urls", $"http://127.0.0.1:{LoopbackClient.FreePort()}");
        Assert.Equal(1, exit);
        Assert.Contains("MaxBodyBytes", stderr);
        Assert.Contains("NextReportMinSeconds", stderr);
    }

}
