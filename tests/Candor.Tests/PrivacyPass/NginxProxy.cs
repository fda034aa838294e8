using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.PrivacyPass;

/// <summary>A real nginx on a free loopback port, with its own config (nginx.conf here) and temp folder, in front of one upstream.</summary>
public sealed class NginxProxy : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private NginxProxy(Process process, string directory, Uri address)
    {
        _process = process;
        _directory = directory;
        Address = address;
    }

    public Uri Address { get; }

    private static string Template([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "nginx.conf");

    public static async Task<NginxProxy> StartAsync(Uri upstream)
    {
        var directory = Directory.CreateTempSubdirectory("candor-nginx-").FullName;
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var config = File.ReadAllText(Template()).Replace("{dir}", directory).Replace("{port}", port.ToString())
            .Replace("{upstream}", $"{upstream.Host}:{upstream.Port}");
        var configPath = Path.Combine(directory, "nginx.conf");
        File.WriteAllText(configPath, config);
        var start = new ProcessStartInfo(NginxFactAttribute.ExecutablePath) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-p", directory, "-c", configPath, "-e", Path.Combine(directory, "error.log") })
            start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        var address = new Uri($"http://127.0.0.1:{port}/");
        for (int i = 0; i < 100; i++)
        {
            if (process.HasExited)
                throw new InvalidOperationException("nginx exited: " + await process.StandardError.ReadToEndAsync() + File.ReadAllText(Path.Combine(directory, "error.log")));
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return new NginxProxy(process, directory, address);
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        process.Kill();
        throw new TimeoutException("nginx did not start listening");
    }

    /// <summary>An HttpClient to the proxy whose connections come from <paramref name="from"/> (any 127.x.y.z is this machine).</summary>
    public HttpClient ClientFrom(IPAddress from) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancel) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.Bind(new IPEndPoint(from, 0));
            await socket.ConnectAsync(context.DnsEndPoint.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(context.DnsEndPoint.Host), context.DnsEndPoint.Port, cancel);
            return new NetworkStream(socket, ownsSocket: true);
        },
    }) { BaseAddress = Address };

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
