using System.Net;
using System.Net.Sockets;
using System.Text;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Privacy;

/// <summary>
/// Privacy invariant 5: the collector never stores or logs an address, a user agent or any other
/// connection metadata. Distinctive canary values are sent in every place a client address or
/// identity can travel; afterwards the database files (main, -wal, -shm) and every log line are
/// searched for them.
/// </summary>
public sealed class NoConnectionMetadataTests
{
    private const string SourceAddress = "127.0.0.77";
    private static readonly string[] Canaries =
    [
        "198.51.100.77", "198.51.100.78", "198.51.100.79", "2001:db8::77", "198.51.100.80",
        "CanaryAgent/9.9.9", "qzx-canary-ua", "canary-referer.example", "canary-cookie-zq",
        SourceAddress,
    ];

    [Fact]
    public async Task Canary_addresses_and_user_agents_appear_in_no_database_file_and_no_log_line()
    {
        // Even when configuration asks the framework for trace logging, the privacy floor holds.
        await using var host = await CollectorHost.StartAsync(args: ["--Logging:LogLevel:Default=Trace", "--Logging:LogLevel:Microsoft.AspNetCore=Trace"]);
        using var client = CanaryClient(host.BaseAddress);

        string bad = TestRegistries.FullBatch.Replace("\"linux\"", "\"beos\"");
        var sent = new List<HttpStatusCode>();
        foreach (var (body, app) in new[] { (TestRegistries.FullBatch, TestRegistries.App), (bad, TestRegistries.App), ("{", TestRegistries.App), (TestRegistries.FullBatch, "org.example.nope") })
        {
            for (int i = 0; i < 5; i++)
            {
                var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{app}/reports") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                AddCanaryHeaders(request);
                sent.Add((await client.SendAsync(request)).StatusCode);
            }
        }
        var get = new HttpRequestMessage(HttpMethod.Get, "/no-such-page");
        AddCanaryHeaders(get);
        sent.Add((await client.SendAsync(get)).StatusCode);
        Assert.Contains(HttpStatusCode.Accepted, sent);
        Assert.Contains(HttpStatusCode.BadRequest, sent);
        Assert.Contains(HttpStatusCode.NotFound, sent);
        Assert.Equal(30, (await host.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports));

        AssertNoCanaryInFiles(host.Directory, "while running");
        await host.App.StopAsync();
        AssertNoCanaryInFiles(host.Directory, "after stopping");

        var logs = string.Join("\n", host.Logs.Lines);
        Assert.NotEmpty(host.Logs.Lines); // the capture works: start-up lines are there
        foreach (var canary in Canaries)
            Assert.DoesNotContain(canary, logs);
        // No per-request or per-connection log records at all (scopes are captured for the scan above but never written).
        var records = host.Logs.Lines.Where(l => !l.StartsWith("[scope]") && !l.StartsWith("  ")).ToList();
        var chatty = records.Where(l => l.Contains("Microsoft.AspNetCore.Hosting.Diagnostics") || l.Contains("Microsoft.AspNetCore.Server.Kestrel")).ToList();
        Assert.True(chatty.Count == 0, string.Join("\n", chatty));
    }

    private static void AddCanaryHeaders(HttpRequestMessage request)
    {
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "198.51.100.77, 198.51.100.78");
        request.Headers.TryAddWithoutValidation("X-Real-IP", "198.51.100.78");
        request.Headers.TryAddWithoutValidation("Forwarded", "for=198.51.100.79;proto=https, for=\"[2001:db8::77]\"");
        request.Headers.TryAddWithoutValidation("True-Client-IP", "198.51.100.80");
        request.Headers.TryAddWithoutValidation("User-Agent", "CanaryAgent/9.9.9 (qzx-canary-ua)");
        request.Headers.TryAddWithoutValidation("Referer", "https://canary-referer.example/page");
        request.Headers.TryAddWithoutValidation("Cookie", "session=canary-cookie-zq");
    }

    /// <summary>An HTTP client whose connections come from 127.0.0.77, a distinctive source address.</summary>
    private static HttpClient CanaryClient(Uri baseAddress) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.Bind(new IPEndPoint(IPAddress.Parse(SourceAddress), 0));
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
    }) { BaseAddress = baseAddress };

    private static void AssertNoCanaryInFiles(string directory, string when)
    {
        var files = Directory.GetFiles(directory, "candor.db*");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            byte[] bytes;
            using (var s = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var m = new MemoryStream())
            {
                s.CopyTo(m);
                bytes = m.ToArray();
            }
            foreach (var canary in Canaries)
            {
                Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(canary)) < 0, $"{canary} found in {Path.GetFileName(file)} {when}");
                Assert.True(bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(canary)) < 0, $"{canary} (UTF-16) found in {Path.GetFileName(file)} {when}");
            }
        }
    }
}
