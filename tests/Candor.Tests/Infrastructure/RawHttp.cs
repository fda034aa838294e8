using System.Net.Sockets;
using System.Text;

namespace Candor.Tests.Infrastructure;

/// <summary>
/// One HTTP/1.1 request written byte for byte on a fresh connection. HttpClient normalises request
/// targets (System.Uri decodes <c>%6D</c> to <c>m</c>, resolves dots), which would hide exactly the
/// spellings a test of path matching must send.
/// </summary>
public static class RawHttp
{
    /// <summary>Sends <c>GET target</c> and returns the status code and the body (the connection is closed by the request).</summary>
    public static async Task<(int Status, string Body)> GetAsync(Uri server, string target, string? host = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        var request = $"GET {target} HTTP/1.1\r\nHost: {host ?? server.Authority}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancel.Token);
        var text = Encoding.UTF8.GetString(buffer.ToArray());
        var statusLine = text[..text.IndexOf("\r\n", StringComparison.Ordinal)];
        int bodyStart = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (int.Parse(statusLine.Split(' ')[1]), bodyStart < 0 ? "" : text[(bodyStart + 4)..]);
    }
}
