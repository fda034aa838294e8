using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Candor.Cli.Relay;
using Candor.Collector.Hosting;
using Candor.Collector.Ohttp;
using Candor.Ohttp;
using Candor.Tests.Infrastructure;
using Candor.Tests.Operations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Candor.Tests.Ohttp;

/// <summary>
/// Running a relay against a real gateway on loopback that is slow (held by
/// <see cref="SlowFront"/>) or down (a closed port): the cap on held requests, the gateway timeout,
/// readiness, metrics and log lines, and none of them carrying anything of a client's.
/// </summary>
public sealed class RelayOperationsTests : IAsyncLifetime
{
    private CollectorHost _collector = null!;
    private readonly CapturingLoggerProvider _logs = new();
    private readonly List<IAsyncDisposable> _owned = [];

    public async Task InitializeAsync() =>
        _collector = await CollectorHost.StartAsync(o => o.OhttpKeysFile = Path.Combine(Path.GetDirectoryName(o.Database)!, "ohttp-keys.json"));

    public async Task DisposeAsync()
    {
        foreach (var d in Enumerable.Reverse(_owned))
            await d.DisposeAsync();
        await _collector.DisposeAsync();
    }

    private async Task<RunningRelay> StartRelayAsync(Uri gatewayBase, Action<RelayOptions>? configure = null)
    {
        var options = new RelayOptions
        {
            Gateway = new Uri(gatewayBase, GatewayEndpoints.Path),
            Urls = ["http://127.0.0.1:0"],
            OperatorUrls = ["http://127.0.0.1:0"],
        };
        configure?.Invoke(options);
        var app = RelayApp.Build(options, l => l.AddProvider(_logs));
        await app.StartAsync();
        var relay = new RunningRelay(app,
            new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) },
            new HttpClient { BaseAddress = app.Services.GetRequiredService<OperatorListener>().Addresses[0] });
        _owned.Add(relay);
        return relay;
    }

    private async Task<SlowFront> SlowGatewayAsync()
    {
        var front = await SlowFront.StartAsync(_collector.BaseAddress);
        _owned.Add(front);
        return front;
    }

    private static HttpContent Sealed()
    {
        var body = new ByteArrayContent(new byte[64]);
        body.Headers.ContentType = new MediaTypeHeaderValue(OhttpMediaTypes.Request);
        return body;
    }

    private static double Value(string metrics, string series)
    {
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no series {series} in:\n{metrics}");
        return double.Parse(line![(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    private List<string> Warnings(string containing) => [.. _logs.Lines.Where(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains(containing, StringComparison.Ordinal))];

    private string OneWarning(string containing)
    {
        var found = Warnings(containing);
        Assert.True(found.Count == 1, $"{found.Count} warnings with '{containing}':\n" + string.Join("\n", _logs.Lines));
        return found[0];
    }

    private static HttpContent Chunked(int length)
    {
        // No length known up front: HttpClient sends it chunked, so only the relay's read can bound it.
        var body = new StreamContent(new NonSeekable(new byte[length]));
        body.Headers.ContentType = new MediaTypeHeaderValue(OhttpMediaTypes.Request);
        return body;
    }

    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }

    [Fact]
    public async Task A_body_over_MaxBodyBytes_is_refused_413_before_the_gateway_whether_declared_or_chunked()
    {
        // The relay reads a body into an array of its declared length, so the declared length is checked first.
        var relay = await StartRelayAsync(_collector.BaseAddress, o => o.MaxBodyBytes = 2048);
        HttpContent Declared()
        {
            var declared = new ByteArrayContent(new byte[4096]);
            declared.Headers.ContentType = new MediaTypeHeaderValue(OhttpMediaTypes.Request);
            return declared;
        }
        foreach (var body in new Func<HttpContent>[] { Declared, () => Chunked(4096) })
        {
            // Kestrel closes the connection over the unread rest of the body, and the kernel may then reset it
            // before the client has read the 413: a reset is retried, any answer must be the 413 problem.
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    using var refused = await relay.Public.PostAsync("/", body());
                    Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
                    Assert.Contains("urn:candor:problem:relay-too-large", await refused.Content.ReadAsStringAsync());
                    break;
                }
                catch (HttpRequestException) when (attempt < 5)
                {
                }
            }
        }
        Assert.Equal(0, Value(await relay.Operator.GetStringAsync("/metrics"), "candor_relay_gateway_requests_total{kind=\"report\",outcome=\"4xx\"}"));

        // Control: bodies within the limit, chunked or declared, reach the gateway (which refuses 64 zero bytes).
        foreach (var body in new[] { Chunked(1024), Sealed() })
        {
            using var forwarded = await relay.Public.PostAsync("/", body);
            Assert.Equal(HttpStatusCode.BadRequest, forwarded.StatusCode);
        }
        Assert.Equal(2, Value(await relay.Operator.GetStringAsync("/metrics"), "candor_relay_gateway_requests_total{kind=\"report\",outcome=\"4xx\"}"));
    }

    [Fact]
    public async Task Beyond_MaxHeldRequests_a_client_gets_503_problem_with_retry_after_and_readiness_fails_until_the_gateway_catches_up()
    {
        var front = await SlowGatewayAsync();
        await using var relay = await StartRelayAsync(front.BaseAddress, o => { o.MaxHeldRequests = 2; o.RetryAfterSeconds = 7; });
        var held = new[] { relay.Public.PostAsync("/", Sealed()), relay.Public.PostAsync("/", Sealed()) };
        await front.WaitForRequestAsync();
        await front.WaitForRequestAsync();
        Assert.Equal(2, Value(await relay.Operator.GetStringAsync("/metrics"), "candor_relay_held_requests"));

        var refused = await relay.Public.PostAsync("/", Sealed());
        await Problem.AssertAsync(refused, HttpStatusCode.ServiceUnavailable, "relay-busy");
        Assert.Equal(TimeSpan.FromSeconds(7), refused.Headers.RetryAfter!.Delta);
        var ready = await relay.Operator.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.StartsWith("unavailable: relay: 2 requests are waiting", await ready.Content.ReadAsStringAsync());
        OneWarning("MaxHeldRequests");

        front.Release();
        foreach (var answer in await Task.WhenAll(held))
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode); // the gateway's own answer to a request sealed to no key
        Assert.Equal(HttpStatusCode.BadRequest, (await relay.Public.PostAsync("/", Sealed())).StatusCode);
        Assert.Equal("ok\n", await relay.Operator.GetStringAsync("/readyz"));
        var metrics = await relay.Operator.GetStringAsync("/metrics");
        Assert.Equal(0, Value(metrics, "candor_relay_held_requests"));
        Assert.Equal(1, Value(metrics, "candor_relay_refused_busy_total"));
        Assert.Equal(3, Value(metrics, "candor_relay_gateway_requests_total{kind=\"report\",outcome=\"4xx\"}"));
    }

    [Fact]
    public async Task A_gateway_slower_than_GatewayTimeout_gets_504_is_counted_fails_readiness_and_is_logged_once_per_outage()
    {
        var front = await SlowGatewayAsync();
        await using var relay = await StartRelayAsync(front.BaseAddress, o => o.GatewayTimeout = TimeSpan.FromSeconds(2));
        for (int i = 0; i < 3; i++)
            await Problem.AssertAsync(await relay.Public.PostAsync("/", Sealed()), HttpStatusCode.GatewayTimeout, "relay-gateway-timeout");
        var ready = await relay.Operator.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("unavailable: gateway: no answer in time\n", await ready.Content.ReadAsStringAsync());

        var metrics = await relay.Operator.GetStringAsync("/metrics");
        Assert.Equal(3, Value(metrics, "candor_relay_gateway_requests_total{kind=\"report\",outcome=\"timeout\"}"));
        Assert.Equal(1, Value(metrics, "candor_relay_gateway_requests_total{kind=\"probe\",outcome=\"timeout\"}"));
        Assert.Equal(0, Value(metrics, "candor_relay_gateway_up"));
        OneWarning("fails: no answer within 2 s (GatewayTimeout)");

        front.Release();
        // The released gateway answers; on a loaded machine a first answer may still miss the 2 s, so a few tries.
        var status = HttpStatusCode.GatewayTimeout;
        for (int i = 0; i < 5 && status == HttpStatusCode.GatewayTimeout; i++)
            status = (await relay.Public.PostAsync("/", Sealed())).StatusCode;
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("ok\n", await relay.Operator.GetStringAsync("/readyz"));
        Assert.Equal(1, Value(await relay.Operator.GetStringAsync("/metrics"), "candor_relay_gateway_up"));
        Assert.Matches(@"is back: [4-9]\d* requests to it failed", OneWarning("is back:"));
    }

    /// <summary>
    /// The gateway is down, then comes back on the same port. The client connects from a distinctive
    /// address with a distinctive header; neither may appear in any log line or in the metrics.
    /// </summary>
    [Fact]
    public async Task A_gateway_that_is_down_gives_502_fails_readiness_and_is_logged_and_counted_without_anything_of_the_client()
    {
        int port = LoopbackClient.FreePort();
        await using var relay = await StartRelayAsync(new Uri($"http://127.0.0.1:{port}/"));
        using var client = LoopbackClient.From("127.0.0.77", relay.Public.BaseAddress!);
        var post = new HttpRequestMessage(HttpMethod.Post, "/") { Content = Sealed() };
        post.Headers.TryAddWithoutValidation("User-Agent", "canary-agent-4242");
        await Problem.AssertAsync(await client.SendAsync(post), HttpStatusCode.BadGateway, "relay-gateway-unreachable");
        Assert.Equal(HttpStatusCode.BadGateway, (await client.GetAsync(GatewayEndpoints.Path)).StatusCode);
        Assert.Equal("unavailable: gateway: unreachable\n", await (await relay.Operator.GetAsync("/readyz")).Content.ReadAsStringAsync());

        var metrics = await relay.Operator.GetStringAsync("/metrics");
        Assert.Equal(1, Value(metrics, "candor_relay_gateway_requests_total{kind=\"report\",outcome=\"unreachable\"}"));
        Assert.Equal(1, Value(metrics, "candor_relay_gateway_requests_total{kind=\"keys\",outcome=\"unreachable\"}"));
        Assert.Equal(1, Value(metrics, "candor_relay_gateway_requests_total{kind=\"probe\",outcome=\"unreachable\"}"));
        var warning = OneWarning("fails:");
        Assert.Contains($"127.0.0.1:{port}", warning); // the gateway is named

        await using (await CollectorHost.StartAsync(o =>
        {
            o.Urls = [$"http://127.0.0.1:{port}"];
            o.OhttpKeysFile = Path.Combine(Path.GetDirectoryName(o.Database)!, "ohttp-keys.json");
        }))
        {
            Assert.Equal("ok\n", await relay.Operator.GetStringAsync("/readyz"));
            OneWarning("is back:");
        }

        var everything = string.Join("\n", _logs.Lines) + metrics + await relay.Operator.GetStringAsync("/metrics");
        Assert.DoesNotContain("127.0.0.77", everything);
        Assert.DoesNotContain("canary", everything);
    }

    [Fact]
    public async Task The_relays_operator_endpoints_are_not_on_its_public_address()
    {
        await using var relay = await StartRelayAsync(_collector.BaseAddress);
        foreach (var target in new[] { "/metrics", "/Metrics", "/metrics/", "/%6Detrics", "/readyz", "/READYZ" })
            Assert.True((await RawHttp.GetAsync(relay.Public.BaseAddress!, target)).Status == 404, target);
        Assert.Equal("ok\n", await relay.Operator.GetStringAsync("/readyz"));
        Assert.Equal("ok\n", await relay.Public.GetStringAsync("/healthz"));
        Assert.Contains("candor_build_info", await relay.Operator.GetStringAsync("/metrics"));
    }

    [Fact]
    public void Relay_settings_out_of_range_are_refused_naming_the_flag()
    {
        var options = new RelayOptions
        {
            Gateway = new Uri("http://127.0.0.1:1/"), MaxHeldRequests = 0, GatewayTimeout = TimeSpan.FromMilliseconds(10),
            Urls = ["http://127.0.0.1:5090"], OperatorUrls = ["http://127.0.0.1:5090"],
        };
        var problems = options.Validate();
        Assert.Contains(problems, p => p.StartsWith("--max-held: 0", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--gateway-timeout:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--operator-urls: http://127.0.0.1:5090 is also a public address", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Candor_relay_refuses_out_of_range_flags_in_one_message()
    {
        var dir = Directory.CreateTempSubdirectory("candor-relay-flags-").FullName;
        try
        {
            var (exit, _, stderr) = await CandorProcess.RunAsync(dir, "relay", "--gateway", "http://127.0.0.1:1/.well-known/ohttp-gateway",
                "--max-held", "0", "--gateway-timeout", "0");
            Assert.Equal(1, exit);
            Assert.Contains("--max-held: 0 is outside", stderr);
            Assert.Contains("--gateway-timeout: 0 s is outside", stderr);
            Assert.DoesNotContain("   at ", stderr);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [PromtoolFact]
    public async Task Promtool_check_metrics_accepts_the_relays_metrics_text()
    {
        await using var relay = await StartRelayAsync(_collector.BaseAddress);
        await relay.Public.PostAsync("/", Sealed());
        var metrics = await relay.Operator.GetStringAsync("/metrics");
        var info = new ProcessStartInfo(PromtoolFactAttribute.ExecutablePath, ["check", "metrics"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var promtool = Process.Start(info)!;
        await promtool.StandardInput.WriteAsync(metrics);
        promtool.StandardInput.Close();
        var output = await promtool.StandardOutput.ReadToEndAsync() + await promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync();
        Assert.True(promtool.ExitCode == 0 && output.Trim() == "", $"promtool: exit {promtool.ExitCode}\n{output}\n---\n{metrics}");
    }
}
