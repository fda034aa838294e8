using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Operations;

/// <summary><c>GET /metrics</c>: the collector's own health in Prometheus text, and nothing a client sent.</summary>
public sealed class MetricsTests
{
    private static double Value(string metrics, string series)
    {
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no series {series} in:\n{metrics}");
        return double.Parse(line![(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Metrics_count_requests_by_route_and_status_class_batches_reports_and_rate_limit_refusals()
    {
        await using var host = await CollectorHost.StartAsync(o => o.RateLimitPerAddressPerSecond = 1);
        int accepted = 0, limited = 0;
        for (int i = 0; i < 6; i++)
        {
            var status = (await host.PostAsync(TestRegistries.FullBatch)).StatusCode;
            if (status == HttpStatusCode.Accepted) accepted++;
            if (status == HttpStatusCode.TooManyRequests) limited++;
        }
        Assert.Equal(6, accepted + limited);
        Assert.True(limited > 0, "the limit of 1 per second (burst 2) refused nothing");
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync("/v1/apps/org.unknown/registry")).StatusCode);

        var response = await host.OperatorClient.GetAsync("/metrics");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var metrics = await response.Content.ReadAsStringAsync();
        Assert.Equal(accepted, Value(metrics, "candor_http_requests_total{route=\"/v1/apps/{app}/reports\",method=\"POST\",status_class=\"2xx\"}"));
        Assert.Equal(limited, Value(metrics, "candor_http_requests_total{route=\"/v1/apps/{app}/reports\",method=\"POST\",status_class=\"4xx\"}"));
        Assert.Equal(1, Value(metrics, "candor_http_requests_total{route=\"/v1/apps/{app}/registry\",method=\"GET\",status_class=\"4xx\"}"));
        Assert.Equal(accepted, Value(metrics, $"candor_batches_accepted_total{{app=\"{TestRegistries.App}\"}}"));
        Assert.Equal(accepted * 6, Value(metrics, $"candor_reports_accepted_total{{app=\"{TestRegistries.App}\"}}"));
        Assert.Equal(limited, Value(metrics, "candor_rate_limited_total"));
        Assert.Equal(0, Value(metrics, "candor_store_errors_total"));
        Assert.Equal(0, Value(metrics, "candor_ingest_queue_depth"));
        Assert.Equal(0, Value(metrics, "candor_store_failing"));
        Assert.True(Value(metrics, "candor_commit_duration_seconds_count") >= 1);
    }

    [Fact]
    public async Task A_failing_store_shows_as_store_errors_and_store_failing()
    {
        await using var host = await CollectorHost.StartAsync();
        StoreBreaker.RenameRollups(host.DatabasePath, "rollups", "rollups_away");
        for (int i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        var metrics = await host.OperatorClient.GetStringAsync("/metrics");
        Assert.Equal(3, Value(metrics, "candor_store_errors_total"));
        Assert.Equal(1, Value(metrics, "candor_store_failing"));
        Assert.Equal(3, Value(metrics, "candor_http_requests_total{route=\"/v1/apps/{app}/reports\",method=\"POST\",status_class=\"5xx\"}"));

        StoreBreaker.RenameRollups(host.DatabasePath, "rollups_away", "rollups");
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        Assert.Equal(0, Value(await host.OperatorClient.GetStringAsync("/metrics"), "candor_store_failing"));
    }

    /// <summary>
    /// The attack: a client writes canaries into everything it controls (path, app id, metric names and
    /// values, idempotency key, headers, method, source address) and then reads /metrics. None may appear.
    /// </summary>
    [Fact]
    public async Task Metrics_never_show_a_path_an_app_a_metric_value_a_header_or_an_address_a_client_sent()
    {
        await using var host = await CollectorHost.StartAsync();
        using var client = LoopbackClient.From("127.0.0.77", host.BaseAddress);
        async Task Send(HttpMethod method, string path, string? body = null)
        {
            var request = new HttpRequestMessage(method, path);
            if (body is not null)
                request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            request.Headers.TryAddWithoutValidation("Idempotency-Key", "canary-key-5151");
            request.Headers.TryAddWithoutValidation("User-Agent", "canary-agent-5252");
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.53");
            await client.SendAsync(request);
        }
        await Send(HttpMethod.Post, $"/v1/apps/{TestRegistries.App}/reports", TestRegistries.FullBatch.Replace("\"linux\"", "\"canary-value-5454\""));
        await Send(HttpMethod.Post, $"/v1/apps/{TestRegistries.App}/reports", TestRegistries.FullBatch.Replace("app.launches", "canary.metric5555"));
        await Send(HttpMethod.Post, $"/v1/apps/{TestRegistries.App}/reports", TestRegistries.FullBatch);
        await Send(HttpMethod.Post, "/v1/apps/canary-app-5656/reports", TestRegistries.FullBatch);
        await Send(HttpMethod.Get, "/canary-path-5757/../x?canary-query-5858=1");
        await Send(new HttpMethod("CANARYMETHOD"), "/healthz");

        var metrics = await host.OperatorClient.GetStringAsync("/metrics");
        // Label values only: the digits of a canary alone are no evidence (process memory gauges such as
        // 54546120704 contain "5454" by chance), so the check is for the canaries' text and the addresses.
        foreach (var canary in new[] { "canary", "-5151", "-5252", "-5454", "metric5555", "-5656", "-5757", "-5858", "203.0.113", "127.0.0.77", "127.0.0.1", "linux" })
            Assert.DoesNotContain(canary, metrics, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("route=\"unmatched\"", metrics);
        Assert.Contains("method=\"OTHER\"", metrics);
        // Label values come from closed sets only.
        foreach (Match m in Regex.Matches(metrics, "route=\"([^\"]*)\""))
            Assert.True(m.Groups[1].Value == "unmatched" || m.Groups[1].Value.StartsWith('/'), m.Value);
    }

    [PromtoolFact]
    public async Task Promtool_check_metrics_accepts_the_metrics_text()
    {
        await using var host = await CollectorHost.StartAsync();
        await host.PostAsync(TestRegistries.FullBatch);
        await host.Client.GetAsync("/nothing-here");
        var metrics = await host.OperatorClient.GetStringAsync("/metrics");

        var info = new ProcessStartInfo(PromtoolFactAttribute.ExecutablePath, ["check", "metrics"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var promtool = Process.Start(info)!;
        await promtool.StandardInput.WriteAsync(metrics);
        promtool.StandardInput.Close();
        var stdout = promtool.StandardOutput.ReadToEndAsync();
        var stderr = promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        // promtool exits 0 when the text parses and its lint (naming, units, help texts) finds nothing.
        Assert.True(promtool.ExitCode == 0, $"promtool check metrics: exit {promtool.ExitCode}\n{await stdout}{await stderr}\n---\n{metrics}");
        Assert.Equal("", (await stdout + await stderr).Trim());
    }
}
