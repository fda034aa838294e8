using System.Diagnostics;
using System.Net;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Operations;

/// <summary>
/// The nginx configuration of docs/operations.md (deploy/nginx/candor.conf, the file itself) in front
/// of a real collector that restarts: the attack is a client at a known address provoking every
/// request error a restart causes, then searching every file nginx wrote for that address.
/// </summary>
public sealed class NginxTests : IDisposable
{
    private const string ClientAddress = "127.0.0.88";
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-nginx-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    [NginxFact]
    public async Task With_the_documented_configuration_a_collector_restart_leaves_no_client_address_in_any_nginx_log()
    {
        var logs = await RestartBehindNginxAsync(File.ReadAllText(ConfigPath()));
        Assert.DoesNotContain(ClientAddress, logs);
        Assert.DoesNotContain("client:", logs);
    }

    /// <summary>The control: without its two logging lines, the same scenario does write the address, so the test above can fail.</summary>
    [NginxFact]
    public async Task Without_its_logging_lines_the_same_restart_writes_the_client_address()
    {
        var config = string.Join("\n", File.ReadAllLines(ConfigPath())
            .Where(l => !l.TrimStart().StartsWith("access_log", StringComparison.Ordinal) && !l.TrimStart().StartsWith("error_log", StringComparison.Ordinal)));
        var logs = await RestartBehindNginxAsync(config);
        Assert.Contains(ClientAddress, logs);
    }

    [Fact]
    public void Operations_docs_show_the_tested_configuration()
    {
        var docs = File.ReadAllText(Path.Combine(OpenApiContractTests.RepositoryRoot(), "docs", "operations.md")).ReplaceLineEndings("\n");
        Assert.Contains(File.ReadAllText(ConfigPath()).ReplaceLineEndings("\n"), docs);
    }

    private static string ConfigPath() => Path.Combine(OpenApiContractTests.RepositoryRoot(), "deploy", "nginx", "candor.conf");

    /// <summary>A collector behind nginx accepts a batch, goes away, comes back; returns every log line nginx wrote.</summary>
    private async Task<string> RestartBehindNginxAsync(string candorConf)
    {
        int collectorPort = LoopbackClient.FreePort(), nginxPort = LoopbackClient.FreePort();
        var collectorDir = Path.Combine(_dir, "collector");
        var logDir = Path.Combine(_dir, "logs");
        Directory.CreateDirectory(logDir);
        var conf = candorConf
            .Replace("server collector:5080;", $"server 127.0.0.1:{collectorPort};", StringComparison.Ordinal)
            .Replace("listen 80;", $"listen 127.0.0.1:{nginxPort};", StringComparison.Ordinal)
            .Replace("/var/log/nginx/", logDir + "/", StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{collectorPort}", conf);
        File.WriteAllText(Path.Combine(_dir, "candor.conf"), conf);
        // The surroundings of a stock installation: a main error log at "info" (more than Debian's
        // default) and a request log for the http block, both of which the server block must override.
        File.WriteAllText(Path.Combine(_dir, "nginx.conf"), $$"""
            daemon off;
            master_process off;
            pid {{_dir}}/nginx.pid;
            error_log {{logDir}}/main-error.log info;
            events { worker_connections 64; }
            http {
                access_log {{logDir}}/main-access.log;
                client_body_temp_path {{_dir}}/body;
                proxy_temp_path {{_dir}}/proxy;
                fastcgi_temp_path {{_dir}}/fastcgi;
                uwsgi_temp_path {{_dir}}/uwsgi;
                scgi_temp_path {{_dir}}/scgi;
                include {{_dir}}/candor.conf;
            }
            """);

        var info = new ProcessStartInfo(NginxFactAttribute.ExecutablePath, ["-e", Path.Combine(logDir, "startup.log"), "-p", _dir, "-c", Path.Combine(_dir, "nginx.conf")])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var nginx = Process.Start(info)!;
        try
        {
            using var client = LoopbackClient.From(ClientAddress, new Uri($"http://127.0.0.1:{nginxPort}"));
            var collector = await CollectorHost.StartAsync(o => o.Urls = [$"http://127.0.0.1:{collectorPort}"], directory: collectorDir);
            try
            {
                Assert.Equal(HttpStatusCode.Accepted, await PostUntilAnsweredAsync(client, nginx));
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
                Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/metrics")).StatusCode); // scraped on each collector, not through nginx
            }
            finally
            {
                await collector.DisposeAsync();
            }

            // The restart: nothing listens; nginx's keep-alive connection is dead and a new one is refused.
            for (int i = 0; i < 3; i++)
                Assert.Equal(HttpStatusCode.BadGateway, await PostAsync(client));
            Assert.Equal(HttpStatusCode.BadGateway, (await client.GetAsync("/healthz")).StatusCode);

            await using (await CollectorHost.StartAsync(o => o.Urls = [$"http://127.0.0.1:{collectorPort}"], directory: collectorDir))
                Assert.Equal(HttpStatusCode.Accepted, await PostAsync(client));
            Assert.Equal(HttpStatusCode.BadGateway, await PostAsync(client)); // and down again, through a stale keep-alive connection
        }
        finally
        {
            nginx.Kill();
            await nginx.WaitForExitAsync();
        }

        var files = Directory.GetFiles(logDir);
        Assert.NotEmpty(files);
        return string.Join("\n", files.Select(f => $"== {Path.GetFileName(f)}\n{File.ReadAllText(f)}"));
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient client) =>
        (await client.PostAsync($"/v1/apps/{TestRegistries.App}/reports",
            new StringContent(TestRegistries.FullBatch, System.Text.Encoding.UTF8, "application/json"))).StatusCode;

    /// <summary>nginx needs a moment to listen; polls (at most 10 s) until it answers.</summary>
    private static async Task<HttpStatusCode> PostUntilAnsweredAsync(HttpClient client, Process nginx)
    {
        for (int i = 0; ; i++)
        {
            Assert.False(nginx.HasExited, "nginx exited: " + await nginx.StandardError.ReadToEndAsync());
            try
            {
                return await PostAsync(client);
            }
            catch (HttpRequestException) when (i < 100)
            {
                await Task.Delay(100);
            }
        }
    }
}
