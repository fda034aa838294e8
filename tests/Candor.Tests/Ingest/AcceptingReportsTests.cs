using System.Net;
using System.Text.Json;
using Candor.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Tests.Ingest;

public sealed class AcceptingReportsTests : IAsyncLifetime
{
    private CollectorHost _host = null!;

    public async Task InitializeAsync() => _host = await CollectorHost.StartAsync();
    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_valid_batch_is_acknowledged_with_202_after_it_is_stored()
    {
        var response = await _host.PostAsync(TestRegistries.FullBatch);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(6, json.GetProperty("accepted").GetInt32());
        long next = json.GetProperty("next_report_after_seconds").GetInt64();
        Assert.InRange(next, 3 * 86400, 10 * 86400);

        var raw = await _host.Store.ReadRawAsync(TestRegistries.App);
        Assert.Equal(6, raw.Count);
        Assert.Contains(raw, r => r is { Metric: "app.launches", Period: "2026-W47", Value: "10" });
        Assert.Contains(raw, r => r is { Metric: "system.os", Value: "linux" });
        Assert.Contains(raw, r => r is { Metric: "feature.spellcheck", Value: "true" });
        Assert.Contains(raw, r => r is { Metric: "install.age_days", Value: "2" });
        Assert.Contains(raw, r => r is { Metric: "startup.ms", Value: """{"100":3,"250":1}""" });
        Assert.Contains(raw, r => r is { Metric: "candor.active", Period: "2026-11-20", Value: "true" });
    }

    [Fact]
    public async Task Rollups_count_reports_per_value_and_sum_histogram_buckets()
    {
        for (int i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync(TestRegistries.FullBatch)).StatusCode);

        var cells = await _host.Store.ReadRollupsAsync(TestRegistries.App);
        var os = Assert.Single(cells, c => c.Metric == "system.os");
        Assert.Equal(("linux", 3L, 3L), (os.Value, os.Reports, os.Total));
        var b100 = Assert.Single(cells, c => c.Metric == "startup.ms" && c.Value == "100");
        Assert.Equal((3L, 9L), (b100.Reports, b100.Total));
        var b250 = Assert.Single(cells, c => c.Metric == "startup.ms" && c.Value == "250");
        Assert.Equal((3L, 3L), (b250.Reports, b250.Total));
    }

    [Fact]
    public async Task The_next_report_delay_follows_the_per_app_setting()
    {
        await using var host = await CollectorHost.StartAsync(o => o.Apps[TestRegistries.App] = new() { NextReportMinSeconds = 60, NextReportMaxSeconds = 120 });
        for (int i = 0; i < 10; i++)
        {
            var json = JsonDocument.Parse(await (await host.PostAsync(TestRegistries.FullBatch)).Content.ReadAsStringAsync()).RootElement;
            Assert.InRange(json.GetProperty("next_report_after_seconds").GetInt64(), 60, 120);
        }
    }

    [Fact]
    public async Task An_older_registry_version_still_validates_after_a_newer_one_is_loaded()
    {
        var v2Only = """{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "feature.darkmode", "value": true } ] }""";
        var problem = await Problem.AssertAsync(await _host.PostAsync(v2Only), HttpStatusCode.BadRequest, "invalid-reports");
        Assert.Contains("Unknown metric", Problem.Errors(problem)[0].Reason);

        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync(v2Only.Replace("\"schema\": 1", "\"schema\": 2"))).StatusCode);
    }

    [Fact]
    public async Task Registry_versions_are_kept_in_the_store_and_served_after_a_restart_without_the_files()
    {
        string dir = _host.Directory;
        await using var second = await CollectorHost.StartAsync(directory: Path.Combine(dir, "second"));
        await second.App.StopAsync();
        // Start again on the same database but give it no registry files: the stored versions are still served.
        await using var third = await CollectorHost.StartAsync(o => o.RegistryFiles = [], directory: Path.Combine(dir, "second"));
        var json = JsonDocument.Parse(await third.Client.GetStringAsync($"/v1/apps/{TestRegistries.App}/registry")).RootElement;
        Assert.Equal(2, json.GetProperty("version").GetInt32());
        Assert.Equal([1, 2], json.GetProperty("versions").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal(HttpStatusCode.Accepted, (await third.PostAsync(TestRegistries.FullBatch)).StatusCode);
    }

    [Fact]
    public async Task Gzip_bodies_are_accepted()
    {
        var gz = Compress(TestRegistries.FullBatch);
        var response = await _host.Client.SendAsync(GzipRequest(gz));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(6, (await _host.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports));
    }

    [Fact]
    public async Task The_registry_endpoint_publishes_purposes_and_the_builtin_active_flag()
    {
        var response = await _host.Client.GetAsync($"/v1/apps/{TestRegistries.App}/registry?version=1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(1, json.GetProperty("version").GetInt32());
        var metrics = json.GetProperty("metrics").EnumerateArray().ToList();
        var os = metrics.Single(m => m.GetProperty("name").GetString() == "system.os");
        Assert.Equal("Decide which platforms get packages first.", os.GetProperty("purpose").GetString());
        Assert.Equal(["linux", "windows", "macos", "other"], os.GetProperty("values").EnumerateArray().Select(v => v.GetString()));
        var active = metrics.Single(m => m.GetProperty("name").GetString() == "candor.active");
        Assert.True(active.GetProperty("built_in").GetBoolean());
        Assert.Equal("day", active.GetProperty("period").GetString());

        await Problem.AssertAsync(await _host.Client.GetAsync("/v1/apps/org.example.nope/registry"), HttpStatusCode.NotFound, "unknown-app");
        await Problem.AssertAsync(await _host.Client.GetAsync($"/v1/apps/{TestRegistries.App}/registry?version=9"), HttpStatusCode.NotFound, "unknown-schema");
    }

    [Fact]
    public async Task The_openapi_document_answers()
    {
        var doc = JsonDocument.Parse(await _host.Client.GetStringAsync("/openapi/v1.json")).RootElement;
        Assert.StartsWith("3.1", doc.GetProperty("openapi").GetString());
    }

    [Fact]
    public async Task Unknown_paths_and_methods_answer_problem_json()
    {
        var notFound = await _host.Client.GetAsync("/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal("application/problem+json", notFound.Content.Headers.ContentType?.MediaType);
        var wrongMethod = await _host.Client.GetAsync($"/v1/apps/{TestRegistries.App}/reports");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Equal("application/problem+json", wrongMethod.Content.Headers.ContentType?.MediaType);
    }

    internal static byte[] Compress(string text)
    {
        using var m = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(m, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            gz.Write(System.Text.Encoding.UTF8.GetBytes(text));
        return m.ToArray();
    }

    internal static HttpRequestMessage GzipRequest(byte[] gz)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{TestRegistries.App}/reports") { Content = new ByteArrayContent(gz) };
        request.Content.Headers.ContentType = new("application/json");
        request.Content.Headers.ContentEncoding.Add("gzip");
        return request;
    }
}
