using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Candor.Collector.Hosting;
using Candor.Collector.Transparency;
using Candor.Tests.Infrastructure;
using Candor.Tests.PrivacyPass;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Tests.Operations;

/// <summary>
/// What the operator gets on <c>/metrics</c>: request latency, build and process information, the log
/// sealer's health and token refusals by reason; all of it totals over every client, with labels from
/// closed sets only.
/// </summary>
public sealed class OperatorMetricsTests
{
    private static double Value(string metrics, string series)
    {
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no series {series} in:\n{metrics}");
        return double.Parse(line![(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Metrics_show_request_latency_per_route_build_info_and_process_metrics()
    {
        await using var host = await CollectorHost.StartAsync();
        for (int i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        await host.Client.GetAsync("/nothing-here");

        var metrics = await host.OperatorClient.GetStringAsync("/metrics");
        Assert.Equal(3, Value(metrics, "candor_http_request_duration_seconds_count{route=\"/v1/apps/{app}/reports\",method=\"POST\"}"));
        Assert.True(Value(metrics, "candor_http_request_duration_seconds_sum{route=\"/v1/apps/{app}/reports\",method=\"POST\"}") > 0);
        Assert.Equal(3, Value(metrics, "candor_http_request_duration_seconds_bucket{route=\"/v1/apps/{app}/reports\",method=\"POST\",le=\"+Inf\"}"));
        Assert.Equal(1, Value(metrics, "candor_http_request_duration_seconds_count{route=\"unmatched\",method=\"GET\"}"));

        var build = Regex.Match(metrics, "^candor_build_info\\{version=\"([^\"]+)\",runtime=\"([^\"]+)\"\\} 1$", RegexOptions.Multiline);
        Assert.True(build.Success, metrics);
        Assert.Equal(CollectorMetrics.Version, build.Groups[1].Value);
        Assert.StartsWith(".NET ", build.Groups[2].Value);

        Assert.True(Value(metrics, "process_cpu_seconds_total") > 0);
        Assert.True(Value(metrics, "process_working_set_bytes") > 1024 * 1024);
        Assert.True(Value(metrics, "process_open_handles") > 0);
        Assert.InRange(Value(metrics, "process_start_time_seconds"), DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
    }

    [Fact]
    public async Task Metrics_show_the_log_sealers_pending_entries_last_seal_and_epochs()
    {
        await using var host = await CollectorHost.StartAsync();
        var before = await host.OperatorClient.GetStringAsync("/metrics");
        Assert.Equal(0, Value(before, "candor_log_pending_entries"));
        Assert.Equal(0, Value(before, "candor_log_last_seal_timestamp_seconds"));

        string Commitment(string metric, string value) => Candor.Transparency.ReportCommitment.Encode(Candor.Transparency.ReportCommitment.Compute(
            System.Security.Cryptography.RandomNumberGenerator.GetBytes(Candor.Transparency.ReportCommitment.NonceSize), TestRegistries.App, metric, "2026-W47", value));
        var body = $$"""{"schema":1,"period":"2026-W47","reports":[{"metric":"system.os","value":"linux","commitment":"{{Commitment("system.os", "linux")}}"},{"metric":"app.launches","value":10,"commitment":"{{Commitment("app.launches", "10")}}"}]}""";
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(body)).StatusCode);
        long pending = await host.Store.ReadLogAsync(r => r.CountPending());
        Assert.True(pending > 0, "the batch left nothing pending");
        Assert.Equal(pending, Value(await host.OperatorClient.GetStringAsync("/metrics"), "candor_log_pending_entries"));

        await host.App.Services.GetRequiredService<EpochSealer>().SealNowAsync(force: true);
        var after = await host.OperatorClient.GetStringAsync("/metrics");
        Assert.Equal(0, Value(after, "candor_log_pending_entries"));
        Assert.Equal(1, Value(after, "candor_log_epochs_sealed_total"));
        Assert.Equal(host.Clock.GetUtcNow().ToUnixTimeSeconds(), Value(after, "candor_log_last_seal_timestamp_seconds"), 0.001);
        Assert.Equal(0, Value(after, "candor_log_seal_failures_total"));
    }

    [Fact]
    public async Task A_failing_scheduled_seal_is_counted_and_an_unreadable_backlog_shows_as_NaN()
    {
        // The epoch timer runs on real time (the test clock has no timers): one tick a second.
        await using var host = await CollectorHost.StartAsync(o => o.Transparency.EpochSeconds = 1);
        Rename(host.DatabasePath, "log_state", "log_state_away");
        Rename(host.DatabasePath, "log_pending", "log_pending_away");
        string metrics = "";
        for (int i = 0; i < 100; i++)
        {
            metrics = await host.OperatorClient.GetStringAsync("/metrics");
            if (Value(metrics, "candor_log_seal_failures_total") >= 1)
                break;
            await Task.Delay(100);
        }
        Assert.True(Value(metrics, "candor_log_seal_failures_total") >= 1, "no failed seal was counted in 10 s");
        Assert.True(double.IsNaN(Value(metrics, "candor_log_pending_entries")), "an unreadable pending set must not read as 0");
        Assert.Equal(0, Value(metrics, "candor_log_epochs_sealed_total"));
    }

    [Fact]
    public async Task Token_refusals_are_counted_by_reason_and_every_reason_is_exported_from_the_start()
    {
        await using var host = await TokenKit.StartAsync();
        var fresh = await host.OperatorClient.GetStringAsync("/metrics");
        foreach (var reason in CollectorMetrics.TokenRefusalReasons)
            Assert.Equal(0, Value(fresh, $"candor_token_refusals_total{{reason=\"{reason}\"}}"));

        Assert.Equal(HttpStatusCode.Unauthorized, (await TokenKit.PostAsync(host.Client, authorization: null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await TokenKit.PostAsync(host.Client, "PrivateToken token=\"***\"")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await TokenKit.PostAsync(host.Client, "PrivateToken nonce=\"AAAA\"")).StatusCode);
        var token = await TokenKit.FetchAsync(host.Client);
        Assert.Equal(HttpStatusCode.Accepted, (await TokenKit.PostAsync(host.Client, token)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await TokenKit.PostAsync(host.Client, token)).StatusCode);

        var metrics = await host.OperatorClient.GetStringAsync("/metrics");
        Assert.Equal(1, Value(metrics, "candor_token_refusals_total{reason=\"token-required\"}"));
        Assert.Equal(2, Value(metrics, "candor_token_refusals_total{reason=\"malformed-token\"}"));
        Assert.Equal(1, Value(metrics, "candor_token_refusals_total{reason=\"token-spent\"}"));
        Assert.Equal(0, Value(metrics, "candor_token_refusals_total{reason=\"invalid-token\"}"));
    }

    /// <summary>
    /// Privacy invariants 5 and 12 for the whole scrape: every label name comes from a fixed list, so no
    /// series can be per report, per client or per request; and after many distinct clients and batches
    /// the number of series has not grown with them.
    /// </summary>
    [Fact]
    public async Task Every_series_is_a_total_labels_come_from_a_fixed_list_and_series_do_not_grow_with_clients()
    {
        await using var host = await CollectorHost.StartAsync();
        await host.PostAsync(TestRegistries.FullBatch);
        var first = Series(await host.OperatorClient.GetStringAsync("/metrics"));
        for (int i = 0; i < 20; i++)
        {
            using var client = LoopbackClient.From($"127.0.0.{100 + i}", host.BaseAddress);
            var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{TestRegistries.App}/reports")
            {
                Content = new StringContent(TestRegistries.FullBatch, System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("Idempotency-Key", $"key-{i}");
            await client.SendAsync(request);
        }
        var metrics = await host.OperatorClient.GetStringAsync("/metrics");
        Assert.Equal(first.Count, Series(metrics).Count);
        var allowed = new HashSet<string> { "route", "method", "status_class", "app", "reason", "version", "runtime", "le", "generation", "outcome", "result" }; // outcome, result: the Azafea counters' closed sets (CollectorMetrics.AzafeaUploadOutcomes, AzafeaEventResults)
        foreach (Match m in Regex.Matches(metrics, "[{,]([a-z_]+)=\""))
            Assert.Contains(m.Groups[1].Value, allowed);
        Assert.DoesNotContain("127.0.0.1", metrics);
        Assert.DoesNotContain("key-", metrics);
    }

    private static HashSet<string> Series(string metrics) =>
        [.. metrics.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l[..l.LastIndexOf(' ')])];

    private static void Rename(string database, string from, string to)
    {
        using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"ALTER TABLE {from} RENAME TO {to};";
        cmd.ExecuteNonQuery();
    }
}
