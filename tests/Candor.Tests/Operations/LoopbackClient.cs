using System.Net;
using System.Net.Sockets;

namespace Candor.Tests.Operations;

/// <summary>An HttpClient whose connections come from a chosen loopback address (127.0.0.x), so a test can look for that address afterwards.</summary>
internal static class LoopbackClient
{
    public static HttpClient From(string source, Uri baseAddress) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
    }) { BaseAddress = baseAddress };

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Whether anything accepts connections on this loopback port (a server started, or one still there).</summary>
    public static async Task<bool> AnswersAsync(int port)
    {
        using var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try { await s.ConnectAsync(IPAddress.Loopback, port); return true; }
        catch (SocketException) { return false; }
    }
}
