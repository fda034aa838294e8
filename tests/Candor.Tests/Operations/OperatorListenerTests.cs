using System.Net;
using Candor.Collector;
using Candor.Collector.Hosting;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Operations;

/// <summary>
/// <c>/metrics</c> and <c>/readyz</c> live on the operator listener only. The attack:
/// someone outside asks the public address, directly and through the documented nginx, for every
/// spelling ASP.NET routing or nginx might treat as <c>/metrics</c>. The positive control runs the same
/// spellings against the old set-up (a listener that serves /metrics behind the old exact-match nginx
/// location) and gets the live metrics, so the attack is real and the tests can fail.
/// </summary>
public sealed class OperatorListenerTests
{
    private static readonly string[] AllSpellings =
    [
        "/metrics", "/metrics/", "/Metrics", "/METRICS", "/metrics?x", "/%6Detrics", "/%6detrics", "//metrics", "/./metrics",
        "/readyz", "/READYZ", "/readyz/",
    ];

    public static TheoryData<string> Spellings => new(AllSpellings);

    private static string Config() => File.ReadAllText(Path.Combine(OpenApiContractTests.RepositoryRoot(), "deploy", "nginx", "candor.conf"));

    [Theory]
    [MemberData(nameof(Spellings))]
    public async Task The_public_listener_answers_404_to_every_spelling_of_an_operator_path(string target)
    {
        await using var host = await CollectorHost.StartAsync();
        Assert.Equal(404, (await RawHttp.GetAsync(host.BaseAddress, target)).Status);
        // A forged Host naming the operator port changes nothing: the listeners are separate servers.
        Assert.Equal(404, (await RawHttp.GetAsync(host.BaseAddress, target, host: host.OperatorAddress.Authority)).Status);
    }

    [Fact]
    public async Task The_operator_listener_serves_metrics_readiness_and_liveness_and_nothing_public()
    {
        await using var host = await CollectorHost.StartAsync();
        Assert.NotEqual(host.BaseAddress.Port, host.OperatorAddress.Port);
        var metrics = await host.OperatorClient.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("candor_ingest_queue_depth", await metrics.Content.ReadAsStringAsync());
        Assert.Equal("ok\n", await host.OperatorClient.GetStringAsync("/readyz"));
        Assert.Equal("ok\n", await host.OperatorClient.GetStringAsync("/healthz"));
        Assert.Equal(HttpStatusCode.NotFound, (await host.OperatorClient.GetAsync("/v1/public/apps")).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await host.OperatorClient.PostAsync("/metrics", null)).StatusCode);
        // Liveness stays public: supervisors probe it where clients connect, and it tells nothing.
        Assert.Equal("ok\n", await host.Client.GetStringAsync("/healthz"));
    }

    [NginxFact]
    public async Task Through_the_documented_nginx_every_spelling_is_404_while_the_operator_port_answers()
    {
        await using var host = await CollectorHost.StartAsync();
        using var nginx = await NginxServer.StartAsync(Config(), host.BaseAddress.Port);
        Assert.Equal(200, (await RawHttp.GetAsync(nginx.BaseAddress, "/healthz")).Status); // nginx reaches the collector
        foreach (var target in AllSpellings)
            Assert.True((await RawHttp.GetAsync(nginx.BaseAddress, target)).Status == 404, target);
        Assert.Equal(HttpStatusCode.OK, (await host.OperatorClient.GetAsync("/metrics")).StatusCode);
    }

    /// <summary>Defence in depth: even with nginx's upstream wrongly pointed at the operator port, the documented location refuses every spelling.</summary>
    [NginxFact]
    public async Task The_documented_nginx_location_refuses_every_spelling_even_in_front_of_the_operator_port()
    {
        await using var host = await CollectorHost.StartAsync();
        using var nginx = await NginxServer.StartAsync(Config(), host.OperatorAddress.Port);
        Assert.Equal(200, (await RawHttp.GetAsync(nginx.BaseAddress, "/healthz")).Status);
        foreach (var target in AllSpellings)
            Assert.True((await RawHttp.GetAsync(nginx.BaseAddress, target)).Status == 404, target);
    }

    /// <summary>
    /// The positive control: the old set-up, one listener serving /metrics behind the old
    /// <c>location = /metrics</c> (exact, case-sensitive), gives the live metrics to other spellings.
    /// </summary>
    [NginxFact]
    public async Task Control_the_old_single_listener_set_up_leaks_metrics_to_other_spellings()
    {
        var old = System.Text.RegularExpressions.Regex.Replace(Config(), @"location ~\* \^/\(metrics\|readyz\) \{", "location = /metrics {");
        Assert.Contains("location = /metrics {", old);
        await using var host = await CollectorHost.StartAsync();
        using var nginx = await NginxServer.StartAsync(old, host.OperatorAddress.Port); // the listener that serves /metrics, as the public one did
        Assert.Equal(404, (await RawHttp.GetAsync(nginx.BaseAddress, "/metrics")).Status);
        var leaked = new List<string>();
        foreach (var target in AllSpellings)
        {
            var (status, body) = await RawHttp.GetAsync(nginx.BaseAddress, target);
            if (status == 200 && body.Contains("candor_ingest_queue_depth", StringComparison.Ordinal))
                leaked.Add(target);
        }
        Assert.Contains("/Metrics", leaked);
        Assert.Contains("/METRICS", leaked);
        Assert.Contains("/metrics/", leaked);
    }

    [Fact]
    public void An_operator_address_on_a_public_port_is_refused_at_start_up()
    {
        var options = new CollectorOptions { Urls = ["http://0.0.0.0:5080"], OperatorUrls = ["http://127.0.0.1:5080"] };
        Assert.Contains(options.Validate(), e => e.StartsWith("OperatorUrls: 'http://127.0.0.1:5080' is also a public address", StringComparison.Ordinal));
        Assert.Contains(new CollectorOptions { OperatorUrls = [] }.Validate(), e => e.StartsWith("OperatorUrls: give at least one", StringComparison.Ordinal));
        Assert.Contains(new CollectorOptions { OperatorUrls = ["5081"] }.Validate(), e => e.StartsWith("OperatorUrls: '5081' is not an address", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_busy_operator_port_stops_start_up_with_a_message_naming_it()
    {
        using var busy = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        int port = ((IPEndPoint)busy.LocalEndpoint).Port;
        var error = await Assert.ThrowsAnyAsync<IOException>(() => CollectorHost.StartAsync(o => o.OperatorUrls = [$"http://127.0.0.1:{port}"]));
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
    }
}
