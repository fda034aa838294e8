using System.Diagnostics;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Candor.Tests.Operations;

namespace Candor.Tests.Infrastructure;

/// <summary>
/// A real nginx (no daemon, no master process) running a given Candor server block, its upstream
/// pointed at a port on 127.0.0.1 and its listener at a free loopback port; everything it writes stays
/// in a temporary folder. Killed on dispose.
/// </summary>
public sealed class NginxServer : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    private NginxServer(Process process, string dir, Uri baseAddress)
    {
        _process = process;
        _dir = dir;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>Starts nginx with <paramref name="candorConf"/> (the text of deploy/nginx/candor.conf or a variant) and waits until it accepts connections.</summary>
    public static async Task<NginxServer> StartAsync(string candorConf, int upstreamPort)
    {
        var dir = Directory.CreateTempSubdirectory("candor-nginx-").FullName;
        int port = LoopbackClient.FreePort();
        var conf = Regex.Replace(candorConf, @"server collector:\d+[^;]*;", $"server 127.0.0.1:{upstreamPort};");
        conf = Regex.Replace(conf, @"listen 80;", $"listen 127.0.0.1:{port};");
        conf = conf.Replace("/var/log/nginx/", dir + "/", StringComparison.Ordinal);
        Assert.Contains($"server 127.0.0.1:{upstreamPort};", conf);
        Assert.Contains($"listen 127.0.0.1:{port};", conf);
        File.WriteAllText(Path.Combine(dir, "candor.conf"), conf);
        File.WriteAllText(Path.Combine(dir, "nginx.conf"), $$"""
            daemon off;
            master_process off;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/main-error.log;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path {{dir}}/body;
                proxy_temp_path {{dir}}/proxy;
                fastcgi_temp_path {{dir}}/fastcgi;
                uwsgi_temp_path {{dir}}/uwsgi;
                scgi_temp_path {{dir}}/scgi;
                include {{dir}}/candor.conf;
            }
            """);
        return await RunAsync(dir, Path.Combine(dir, "nginx.conf"), port);
    }

    /// <summary>
    /// Runs nginx on the configuration at <paramref name="configPath"/> (its files under <paramref name="dir"/>,
    /// which the server deletes on dispose) and waits until it accepts connections on <paramref name="port"/>.
    /// </summary>
    internal static async Task<NginxServer> RunAsync(string dir, string configPath, int port)
    {
        var info = new ProcessStartInfo(NginxFactAttribute.ExecutablePath, ["-e", Path.Combine(dir, "startup.log"), "-p", dir, "-c", configPath])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        var process = Process.Start(info)!;
        var server = new NginxServer(process, dir, new Uri($"http://127.0.0.1:{port}/"));
        for (int i = 0; ; i++)
        {
            if (process.HasExited)
            {
                var error = await process.StandardError.ReadToEndAsync();
                var logs = string.Join("\n", Directory.GetFiles(dir, "*.log").Select(File.ReadAllText));
                server.Dispose();
                Assert.Fail("nginx exited: " + error + logs);
            }
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync("127.0.0.1", port);
                return server;
            }
            catch (SocketException) when (i < 100)
            {
                await Task.Delay(100);
            }
        }
    }


    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
