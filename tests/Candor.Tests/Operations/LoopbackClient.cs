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

    /// <summary>The first and one past the last port <see cref="FreePort"/> hands out: below Linux's ephemeral range (32768-60999).</summary>
    public const int FirstPort = 20000, EndPort = 32000;

    private static int _next = FirstPort + Environment.ProcessId % (EndPort - FirstPort);

    /// <summary>
    /// A loopback port nothing listens on, for a server the test starts next. Never the same port twice in one test run, and
    /// never one from the kernel's ephemeral range: a port the kernel picked for a listener that was then closed could be
    /// taken again as the source port of any outgoing connection (a database or HTTP client in a test running alongside)
    /// before the server binds it, and that server then fails with "address already in use".
    /// </summary>
    public static int FreePort()
    {
        for (int tries = 0; tries < EndPort - FirstPort; tries++)
        {
            int port = FirstPort + (Interlocked.Increment(ref _next) - FirstPort) % (EndPort - FirstPort);
            try
            {
                using var l = new TcpListener(IPAddress.Loopback, port);
                l.Start();
                return port;
            }
            catch (SocketException)
            {
                // Something outside this run holds it: take the next one.
            }
        }
        throw new InvalidOperationException($"No free loopback port between {FirstPort} and {EndPort}.");
    }

    /// <summary>A loopback port nothing listens on, so connections to it are refused at once (one <see cref="FreePort"/> no server is started on).</summary>
    public static int ClosedPort() => FreePort();

    /// <summary>An http URL on a <see cref="ClosedPort"/>.</summary>
    public static Uri ClosedUri() => new($"http://127.0.0.1:{ClosedPort()}/");

    /// <summary>Whether anything accepts connections on this loopback port (a server started, or one still there).</summary>
    public static async Task<bool> AnswersAsync(int port)
    {
        using var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try { await s.ConnectAsync(IPAddress.Loopback, port); return true; }
        catch (SocketException) { return false; }
    }
}
