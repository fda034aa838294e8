using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Candor.Tests.Infrastructure;
using Candor.Tests.Operations;

namespace Candor.Tests.PrivacyPass;

/// <summary>A real nginx on a free loopback port, with its own config (nginx.conf here) and temp folder, in front of one upstream.</summary>
public sealed class NginxProxy : IAsyncDisposable
{
    private readonly NginxServer _server;

    private NginxProxy(NginxServer server) => _server = server;

    public Uri Address => _server.BaseAddress;

    private static string Template([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "nginx.conf");

    public static async Task<NginxProxy> StartAsync(Uri upstream)
    {
        var directory = Directory.CreateTempSubdirectory("candor-nginx-").FullName;
        int port = LoopbackClient.FreePort();
        var config = File.ReadAllText(Template()).Replace("{dir}", directory).Replace("{port}", port.ToString())
            .Replace("{upstream}", $"{upstream.Host}:{upstream.Port}");
        var configPath = Path.Combine(directory, "nginx.conf");
        File.WriteAllText(configPath, config);
        return new NginxProxy(await NginxServer.RunAsync(directory, configPath, port));
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

    public ValueTask DisposeAsync()
    {
        _server.Dispose();
        return ValueTask.CompletedTask;
    }
}
