using System.Diagnostics;

namespace Candor.Tests.Operations;

/// <summary>
/// deploy/nginx/candor.conf, the shipped file, in a stock-like nginx.conf (included in the http block,
/// as the nginx image's conf.d is) under a temporary prefix: upstream, listen address and log folder
/// are the only things rewritten.
/// </summary>
internal sealed class ShippedNginx : IDisposable
{
    private readonly Process? _process;

    private ShippedNginx(string prefix, Process? process) => (Prefix, _process) = (prefix, process);

    public string Prefix { get; }

    public static string ConfigPath() => Path.Combine(OpenApiContractTests.RepositoryRoot(), "deploy", "nginx", "candor.conf");

    /// <summary>Writes the configuration (optionally changed by <paramref name="edit"/>) under <paramref name="prefix"/>; returns nginx.conf's path.</summary>
    public static string Write(string prefix, int nginxPort, int collectorPort, Func<string, string>? edit = null)
    {
        var logs = Path.Combine(prefix, "logs");
        Directory.CreateDirectory(logs);
        var conf = File.ReadAllText(ConfigPath())
            .Replace("server collector:5080;", $"server 127.0.0.1:{collectorPort};", StringComparison.Ordinal)
            .Replace("listen 80;", $"listen 127.0.0.1:{nginxPort};", StringComparison.Ordinal)
            .Replace("/var/log/nginx/", logs + "/", StringComparison.Ordinal);
        conf = edit?.Invoke(conf) ?? conf;
        File.WriteAllText(Path.Combine(prefix, "candor.conf"), conf);
        var main = Path.Combine(prefix, "nginx.conf");
        File.WriteAllText(main, $$"""
            daemon off;
            master_process off;
            pid {{prefix}}/nginx.pid;
            error_log {{logs}}/main-error.log notice;
            events { worker_connections 64; }
            http {
                client_body_temp_path {{prefix}}/body;
                proxy_temp_path {{prefix}}/proxy;
                fastcgi_temp_path {{prefix}}/fastcgi;
                uwsgi_temp_path {{prefix}}/uwsgi;
                scgi_temp_path {{prefix}}/scgi;
                include {{prefix}}/candor.conf;
            }
            """);
        return main;
    }

    /// <summary><c>nginx -t</c> on the written configuration: exit code and what nginx said.</summary>
    public static (int Exit, string Output) Test(string prefix, string mainConf)
    {
        using var p = Process.Start(new ProcessStartInfo(Infrastructure.NginxFactAttribute.ExecutablePath,
            ["-t", "-e", Path.Combine(prefix, "logs", "startup.log"), "-p", prefix, "-c", mainConf])
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        var output = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    public static ShippedNginx Start(string prefix, int nginxPort, int collectorPort, Func<string, string>? edit = null)
    {
        var main = Write(prefix, nginxPort, collectorPort, edit);
        var process = Process.Start(new ProcessStartInfo(Infrastructure.NginxFactAttribute.ExecutablePath,
            ["-e", Path.Combine(prefix, "logs", "startup.log"), "-p", prefix, "-c", main])
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        return new ShippedNginx(prefix, process);
    }

    public bool HasExited => _process?.HasExited ?? true;

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process?.Dispose();
    }
}
