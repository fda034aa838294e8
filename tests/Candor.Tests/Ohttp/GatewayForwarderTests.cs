using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Candor.Cli.Relay;
using Candor.Collector.Hosting;
using Candor.Ohttp;
using Candor.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Tests.Ohttp;

/// <summary>
/// The relay's own HTTP/1.1 connections to the gateway (<see cref="GatewayForwarder"/>), against a
/// gateway scripted byte by byte on a loopback socket: what goes out, how every framing of an answer
/// comes back, connection reuse, a connection the gateway closed while idle, and broken answers.
/// </summary>
public sealed class GatewayForwarderTests
{
    private static readonly byte[] Body = [.. Enumerable.Range(0, 64).Select(i => (byte)i)];

    /// <summary>A gateway that records each request (per connection) and answers it with the script's bytes, closing after if told.</summary>
    private sealed class ScriptedGateway : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly Func<int, (byte[] Answer, bool Close)> _script;
        private readonly List<Task> _connections = [];
        private int _requests;

        public ScriptedGateway(Func<int, (byte[] Answer, bool Close)> script, IPAddress? address = null)
        {
            _listener = new(address ?? IPAddress.Loopback, 0);
            _script = script;
            _listener.Start();
            _ = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        /// <summary>Awaited before each answer (by request number): lets a test keep several requests open at once.</summary>
        public Func<int, Task>? Hold { get; init; }

        /// <summary>Connections the relay closed (end of stream seen here).</summary>
        public int ClosedByRelay => Volatile.Read(ref _closedByRelay);
        private int _closedByRelay;
        public List<(int Connection, string Head, byte[] Body)> Seen { get; } = [];
        public int Connections { get; private set; }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptSocketAsync();
                    int connection;
                    lock (Seen) connection = ++Connections;
                    lock (_connections) _connections.Add(ServeAsync(socket, connection));
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }

        private async Task ServeAsync(Socket socket, int connection)
        {
            using var stream = new NetworkStream(socket, ownsSocket: true);
            var buffer = new List<byte>();
            var chunk = new byte[4096];
            try
            {
                while (true)
                {
                    int headEnd;
                    while ((headEnd = IndexOf(buffer, "\r\n\r\n"u8.ToArray())) < 0)
                    {
                        int n = await stream.ReadAsync(chunk);
                        if (n == 0)
                        {
                            Interlocked.Increment(ref _closedByRelay);
                            return;
                        }
                        buffer.AddRange(chunk.AsSpan(0, n));
                    }
                    var head = Encoding.ASCII.GetString([.. buffer.Take(headEnd + 4)]);
                    int length = int.Parse(head.Split("\r\n").Single(l => l.StartsWith("Content-Length: ", StringComparison.Ordinal))[16..], CultureInfo.InvariantCulture);
                    while (buffer.Count < headEnd + 4 + length)
                    {
                        int n = await stream.ReadAsync(chunk);
                        if (n == 0) return;
                        buffer.AddRange(chunk.AsSpan(0, n));
                    }
                    var body = buffer.Skip(headEnd + 4).Take(length).ToArray();
                    buffer.RemoveRange(0, headEnd + 4 + length);
                    int index;
                    lock (Seen)
                    {
                        Seen.Add((connection, head, body));
                        index = ++_requests;
                    }
                    if (Hold is not null)
                        await Hold(index);
                    var (answer, close) = _script(index);
                    await stream.WriteAsync(answer);
                    if (close) return;
                }
            }
            catch (IOException)
            {
            }
        }

        private static int IndexOf(List<byte> haystack, byte[] needle)
        {
            for (int i = 0; i + needle.Length <= haystack.Count; i++)
                if (needle.AsSpan().SequenceEqual(haystack.GetRange(i, needle.Length).ToArray()))
                    return i;
            return -1;
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            Task[] open;
            lock (_connections) open = [.. _connections];
            await Task.WhenAll(open).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        }
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static byte[] Sized(string status, string type, byte[] body) =>
        [.. Ascii($"HTTP/1.1 {status}\r\nContent-Type: {type}\r\nContent-Length: {body.Length}\r\nDate: Mon, 07 Dec 2026 14:00:00 GMT\r\nSet-Cookie: tag=device-7\r\n\r\n"), .. body];

    private static async Task<RunningRelay> StartRelayAsync(ScriptedGateway gateway, string host = "127.0.0.1", TimeSpan? idleTimeout = null)
    {
        var options = new RelayOptions
        {
            Gateway = new Uri($"http://{host}:{gateway.Port}/.well-known/ohttp-gateway"),
            Urls = ["http://127.0.0.1:0"],
            OperatorUrls = ["http://127.0.0.1:0"],
            GatewayTimeout = TimeSpan.FromSeconds(5),
        };
        if (idleTimeout is { } idle)
            options.GatewayIdleTimeout = idle;
        var app = RelayApp.Build(options);
        await app.StartAsync();
        return new RunningRelay(app,
            new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) },
            new HttpClient { BaseAddress = app.Services.GetRequiredService<OperatorListener>().Addresses[0] });
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client)
    {
        var content = new ByteArrayContent(Body);
        content.Headers.ContentType = new MediaTypeHeaderValue(OhttpMediaTypes.Request);
        return await client.PostAsync("/", content);
    }

    private static double Value(string metrics, string series) =>
        double.Parse(metrics.Split('\n').Single(l => l.StartsWith(series + " ", StringComparison.Ordinal))[(series.Length + 1)..], CultureInfo.InvariantCulture);

    [Fact]
    public async Task Requests_go_out_as_exactly_three_headers_and_the_body_and_share_one_kept_alive_connection()
    {
        var answer = new byte[] { 9, 8, 7, 6 };
        await using var gateway = new ScriptedGateway(_ => (Sized("200 OK", OhttpMediaTypes.Response, answer), false));
        var relay = await StartRelayAsync(gateway);
        var (client, op) = (relay.Public, relay.Operator);
        await using (relay)
        {
            for (int i = 0; i < 5; i++)
            {
                var response = await PostAsync(client);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(OhttpMediaTypes.Response, response.Content.Headers.ContentType?.MediaType);
                Assert.Equal(answer, await response.Content.ReadAsByteArrayAsync());
                Assert.False(response.Headers.Contains("Set-Cookie")); // nothing else of the gateway's answer crosses
            }
            Assert.Equal(5, Value(await op.GetStringAsync("/metrics"), "candor_relay_gateway_requests_total{kind=\"report\",outcome=\"2xx\"}"));
        }
        Assert.Equal(1, gateway.Connections);
        Assert.All(gateway.Seen, r => Assert.Equal(
            $"POST /.well-known/ohttp-gateway HTTP/1.1\r\nHost: 127.0.0.1:{gateway.Port}\r\nContent-Type: message/ohttp-req\r\nContent-Length: 64\r\n\r\n", r.Head));
        Assert.All(gateway.Seen, r => Assert.Equal(Body, r.Body));
    }

    [Fact]
    public async Task A_gateway_at_an_IPv6_address_is_reached_with_the_bracketed_host()
    {
        await using var gateway = new ScriptedGateway(_ => (Sized("200 OK", OhttpMediaTypes.Response, [5]), false), IPAddress.IPv6Loopback);
        var relay = await StartRelayAsync(gateway, "[::1]");
        await using (relay)
        {
            var response = await PostAsync(relay.Public);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal([5], await response.Content.ReadAsByteArrayAsync());
        }
        var seen = Assert.Single(gateway.Seen);
        Assert.Equal($"POST /.well-known/ohttp-gateway HTTP/1.1\r\nHost: [::1]:{gateway.Port}\r\nContent-Type: message/ohttp-req\r\nContent-Length: 64\r\n\r\n", seen.Head);
    }

    /// <summary>
    /// Four requests at once need four connections; afterwards one request at a time only ever takes the top one of the
    /// pool. The three below it were never reached again, and stayed open until the relay stopped.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)] // the positive control: with an hour's idle timeout nothing is closed in that time
    public async Task Connections_left_idle_below_the_ones_in_use_are_closed_after_the_idle_timeout(bool shortTimeout)
    {
        var fourAtOnce = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var gateway = new ScriptedGateway(_ => (Sized("200 OK", OhttpMediaTypes.Response, [1]), false))
        {
            Hold = async request =>
            {
                if (request == 4)
                    fourAtOnce.TrySetResult();
                if (request <= 4)
                    await fourAtOnce.Task.WaitAsync(TimeSpan.FromSeconds(10));
            },
        };
        var relay = await StartRelayAsync(gateway, idleTimeout: shortTimeout ? TimeSpan.FromMilliseconds(400) : TimeSpan.FromHours(1));
        await using (relay)
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostAsync(relay.Public)));
            Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
            Assert.Equal(4, gateway.Connections);

            // Then one request every 100 ms: it takes the top connection each time, and the others are left idle.
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(shortTimeout ? 10 : 2) && gateway.Connections - gateway.ClosedByRelay > 1)
            {
                Assert.Equal(HttpStatusCode.OK, (await PostAsync(relay.Public)).StatusCode);
                await Task.Delay(100);
            }
            int open = gateway.Connections - gateway.ClosedByRelay;
            if (shortTimeout)
                // The three below were closed; at most the one in use is open (a stalled machine may have let that one
                // idle past the short timeout too, and then it was closed and a fresh one opened: also right).
                Assert.InRange(open, 0, 1);
            else
                Assert.Equal(4, open);
        }
    }

    [Fact]
    public async Task Only_a_POST_to_the_root_is_forwarded_before_routing_and_other_methods_there_are_405()
    {
        await using var gateway = new ScriptedGateway(_ => (Sized("200 OK", OhttpMediaTypes.Response, [1]), false));
        var relay = await StartRelayAsync(gateway);
        await using (relay)
        {
            foreach (var method in new[] { HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete })
            {
                using var request = new HttpRequestMessage(method, "/") { Content = new ByteArrayContent(Body) };
                request.Content.Headers.ContentType = new(OhttpMediaTypes.Request);
                using var response = await relay.Public.SendAsync(request);
                Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
            }
            Assert.Empty(gateway.Seen); // none of them reached the gateway
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(relay.Public)).StatusCode);
            Assert.Single(gateway.Seen);
        }
    }

    [Fact]
    public async Task Chunked_answers_and_answers_ended_by_closing_reach_the_client_as_the_same_bytes()
    {
        var problem = Ascii("{\"type\":\"urn:candor:problem:gateway\",\"status\":400}");
        await using var gateway = new ScriptedGateway(i => i switch
        {
            // Chunked with an extension and a trailer (read past), split mid-body.
            1 => ([.. Ascii("HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n"),
                   .. Ascii($"{10:x};name=value\r\n"), .. problem[..10], .. Ascii("\r\n"),
                   .. Ascii($"{problem.Length - 10:X}\r\n"), .. problem[10..], .. Ascii("\r\n0\r\nX-Trailer: device-7\r\n\r\n")], false),
            // No length and no chunking: the body ends with the connection.
            2 => ([.. Ascii("HTTP/1.1 200 OK\r\nContent-Type: message/ohttp-res\r\nConnection: close\r\n\r\n"), 1, 2, 3], true),
            // HTTP/1.0 with a length: the gateway keeps the connection open, the relay does not reuse it.
            3 => ([.. Ascii("HTTP/1.0 200 OK\r\nContent-Type: message/ohttp-res\r\nContent-Length: 1\r\n\r\n"), 7], false),
            // An interim answer first, then an odd media type, which the client sees as bytes.
            _ => ([.. Ascii("HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"), .. Sized("200 OK", "text/html", [4, 5])], false),
        });
        var relay = await StartRelayAsync(gateway);
        var client = relay.Public;
        await using (relay)
        {
            var first = await PostAsync(client);
            Assert.Equal(HttpStatusCode.BadRequest, first.StatusCode);
            Assert.Equal("application/problem+json", first.Content.Headers.ContentType?.MediaType);
            Assert.Equal(problem, await first.Content.ReadAsByteArrayAsync());
            Assert.False(first.Headers.Contains("X-Trailer"));

            var second = await PostAsync(client);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.Equal(new byte[] { 1, 2, 3 }, await second.Content.ReadAsByteArrayAsync());

            var old = await PostAsync(client);
            Assert.Equal(new byte[] { 7 }, await old.Content.ReadAsByteArrayAsync());

            var third = await PostAsync(client);
            Assert.Equal(HttpStatusCode.OK, third.StatusCode);
            Assert.Equal("application/octet-stream", third.Content.Headers.ContentType?.MediaType);
            Assert.Equal(new byte[] { 4, 5 }, await third.Content.ReadAsByteArrayAsync());
        }
        Assert.Equal(4, gateway.Seen.Count);
        Assert.Equal(3, gateway.Connections); // the chunked answer's connection was reused until 2 closed it; the HTTP/1.0 one was not
    }

    [Fact]
    public async Task A_connection_the_gateway_closed_while_idle_is_retried_once_on_a_fresh_one()
    {
        // Every connection serves one request and is then closed by the gateway, as an idle timeout would.
        await using var gateway = new ScriptedGateway(_ => (Sized("200 OK", OhttpMediaTypes.Response, [1]), true));
        var relay = await StartRelayAsync(gateway);
        var (client, op) = (relay.Public, relay.Operator);
        await using (relay)
        {
            for (int i = 0; i < 3; i++)
            {
                var response = await PostAsync(client);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                await Task.Delay(100); // the close reaches the relay's pooled connection
            }
            var metrics = await op.GetStringAsync("/metrics");
            Assert.Equal(3, Value(metrics, "candor_relay_gateway_requests_total{kind=\"report\",outcome=\"2xx\"}"));
            Assert.Equal(0, Value(metrics, "candor_relay_gateway_requests_total{kind=\"report\",outcome=\"unreachable\"}"));
        }
        Assert.Equal(3, gateway.Seen.Count); // each request reached the gateway once
        Assert.Equal(3, gateway.Connections);
    }

    [Fact]
    public async Task A_broken_answer_or_a_fresh_connection_closed_without_one_gives_502_once_and_is_counted()
    {
        await using var gateway = new ScriptedGateway(i => i switch
        {
            1 => (Ascii("SMTP ready\r\n\r\n"), true),
            2 => ([], true), // closes a fresh connection without answering: not retried, it may have been processed
            _ => (Ascii("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nContent-Length: 11\r\n\r\n0123456789"), true),
        });
        var relay = await StartRelayAsync(gateway);
        var (client, op) = (relay.Public, relay.Operator);
        await using (relay)
        {
            for (int i = 0; i < 3; i++)
                await Problem.AssertAsync(await PostAsync(client), HttpStatusCode.BadGateway, "relay-gateway-unreachable");
            Assert.Equal(3, Value(await op.GetStringAsync("/metrics"), "candor_relay_gateway_requests_total{kind=\"report\",outcome=\"unreachable\"}"));
        }
        Assert.Equal(3, gateway.Seen.Count);
    }

    /// <summary>A gateway behind TLS (Kestrel with a certificate made for this test) answering every POST with the bytes it got, reversed.</summary>
    private static async Task<(WebApplication App, Uri Gateway, X509Certificate2 Certificate)> TlsGatewayAsync(bool ipv6 = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        var certificate = X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pfx), null);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        var app = builder.Build();
        app.MapPost("/.well-known/ohttp-gateway", async (HttpContext http) =>
        {
            var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            var bytes = body.ToArray();
            Array.Reverse(bytes);
            http.Response.ContentType = OhttpMediaTypes.Response;
            await http.Response.Body.WriteAsync(bytes);
        });
        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return (app, new Uri($"https://{(ipv6 ? "[::1]" : "localhost")}:{port}/.well-known/ohttp-gateway"), certificate);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // https://[::1]:port/: the TLS handshake takes the address, not the bracketed host
    public async Task Over_TLS_answers_come_back_whole_and_a_gateway_certificate_the_relay_does_not_trust_is_refused(bool ipv6)
    {
        var (gateway, url, certificate) = await TlsGatewayAsync(ipv6);
        await using (gateway)
        {
            var options = new RelayOptions { Gateway = url, GatewayTimeout = TimeSpan.FromSeconds(5) };
            var metrics = new RelayMetrics(256);
            // Pinned to the test's certificate: the TLS path, its framing and connection reuse. Only the chain is
            // untrusted: the name the relay checks (the host, or the address for an IPv6 gateway) matches the certificate.
            await using (var pinned = new GatewayForwarder(options, new GatewayWatch(options, metrics),
                (_, presented, _, errors) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString()
                    && (errors & System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch) == 0))
            {
                for (int i = 0; i < 3; i++)
                {
                    var (status, type, body) = await pinned.ForwardAsync(Body, CancellationToken.None);
                    Assert.Equal(200, status);
                    Assert.Equal(OhttpMediaTypes.Response, type);
                    Assert.Equal(Body.Reverse(), body);
                }
            }
            // The system's trust store, as in production: a self-signed gateway is unreachable, not trusted.
            await using var trusting = new GatewayForwarder(options, new GatewayWatch(options, metrics));
            await Assert.ThrowsAsync<HttpRequestException>(() => trusting.ForwardAsync(Body, CancellationToken.None));
            var exported = await metrics.ExportAsync(CancellationToken.None);
            Assert.Equal(3, Value(exported, "candor_relay_gateway_requests_total{kind=\"report\",outcome=\"2xx\"}"));
            Assert.Equal(1, Value(exported, "candor_relay_gateway_requests_total{kind=\"report\",outcome=\"unreachable\"}"));
        }
    }
}
