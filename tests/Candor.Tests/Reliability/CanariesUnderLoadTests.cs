using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Reliability;

/// <summary>
/// Issue 8, part 4: privacy canaries under load. Two thousand requests from 200 different loopback
/// source addresses (127.0.0.20 to 127.0.0.219), each with its own forwarding headers and user agent,
/// then every database file and log line is searched: no address and no agent may appear anywhere.
/// </summary>
public sealed class CanariesUnderLoadTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Thousands_of_requests_from_many_addresses_leave_no_address_or_agent_anywhere()
    {
        await using var host = await CollectorHost.StartAsync(args: ["--Logging:LogLevel:Default=Trace"]);
        var clients = Enumerable.Range(20, 200).Select(n => (Source: $"127.0.0.{n}", Client: ClientFrom($"127.0.0.{n}", host.BaseAddress))).ToList();
        int accepted = 0, refused = 0;
        int next = -1;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < 2000)
            {
                var (source, client) = clients[i % clients.Count];
                // Every fifth batch is invalid, so error paths are searched too.
                var body = i % 5 == 0 ? TestRegistries.FullBatch.Replace("\"linux\"", "\"beos\"") : TestRegistries.FullBatch;
                var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{TestRegistries.App}/reports") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.TryAddWithoutValidation("X-Forwarded-For", $"203.0.113.{i % 250}, 198.51.100.{i % 250}");
                request.Headers.TryAddWithoutValidation("Forwarded", $"for=192.0.2.{i % 250}");
                request.Headers.TryAddWithoutValidation("X-Real-IP", $"198.18.{i % 250}.{i / 250}");
                request.Headers.TryAddWithoutValidation("User-Agent", $"CanaryEditor/{i} (zqx-{i}-agent)");
                using var response = await client.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.Accepted) Interlocked.Increment(ref accepted);
                else if (response.StatusCode == HttpStatusCode.BadRequest) Interlocked.Increment(ref refused);
            }
        })));
        foreach (var (_, client) in clients) client.Dispose();
        Assert.Equal((1600, 400), (accepted, refused));

        await host.App.StopAsync();
        var files = Directory.GetFiles(host.Directory, "candor.db*").Select(f => Encoding.Latin1.GetString(ReadShared(f))).ToList();
        var logs = string.Join("\n", host.Logs.Lines);
        // The server's own address (127.0.0.1, in "Now listening on") is not a canary; every other is.
        var address = new Regex(@"127\.0\.0\.(?!1\b)\d+|203\.0\.113\.\d|198\.51\.100\.\d|192\.0\.2\.\d|198\.18\.\d|CanaryEditor|zqx-\d+-agent");
        int hits = files.Sum(f => address.Matches(f).Count) + address.Matches(logs).Count;
        output.WriteLine($"requests: 2000 from {clients.Count} source addresses; accepted {accepted}, refused {refused}; canary occurrences in {files.Count} database files and {host.Logs.Lines.Count} log lines: {hits}");
        Assert.Equal(0, hits);
        Assert.NotEmpty(host.Logs.Lines);
    }

    private static byte[] ReadShared(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    private static HttpClient ClientFrom(string source, Uri baseAddress) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
    }) { BaseAddress = baseAddress };
}
