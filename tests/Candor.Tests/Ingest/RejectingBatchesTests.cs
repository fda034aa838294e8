using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Ingest;

/// <summary>Every way a batch can be refused, each with its status, problem type, and nothing stored.</summary>
public sealed class RejectingBatchesTests : IAsyncLifetime
{
    private CollectorHost _host = null!;
    private string _before = "";

    public async Task InitializeAsync()
    {
        _host = await CollectorHost.StartAsync();
        // Something already stored, so "unchanged" is checked against a database with content.
        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        _before = DatabaseContent.Dump(_host.DatabasePath);
    }

    public async Task DisposeAsync()
    {
        // All or nothing: whatever a test sent was refused, so the content is what it was.
        Assert.Equal(_before, DatabaseContent.Dump(_host.DatabasePath));
        await _host.DisposeAsync();
    }

    private static string Batch(string reports, string period = "2026-W47", int schema = 1) =>
        $$"""{ "schema": {{schema}}, "period": "{{period}}", "reports": [ {{reports}} ] }""";

    [Fact]
    public async Task One_bad_report_rejects_the_whole_batch_and_every_bad_report_is_listed()
    {
        var body = Batch("""
            { "metric": "app.launches", "value": 10 },
            { "metric": "app.launches2", "value": 10 },
            { "metric": "system.os", "value": "beos" },
            { "metric": "startup.ms", "value": { "100": 3 } },
            { "metric": "feature.spellcheck", "value": "yes" }
            """);
        var problem = await Problem.AssertAsync(await _host.PostAsync(body), HttpStatusCode.BadRequest, "invalid-reports");
        var errors = Problem.Errors(problem);
        Assert.Equal([1, 2, 4], errors.Select(e => e.Index));
        Assert.Equal("app.launches2", errors[0].Metric);
        Assert.Contains("Unknown metric", errors[0].Reason);
        Assert.Contains("'beos' is not an allowed value", errors[1].Reason);
        Assert.Contains("true or false", errors[2].Reason);
    }

    [Theory]
    [InlineData("""{ "metric": "app.launches", "value": 7 }""", "bucket lower bounds")]
    [InlineData("""{ "metric": "app.launches", "value": 10.5 }""", "bucket lower bounds")]
    [InlineData("""{ "metric": "app.launches", "value": "10" }""", "bucket lower bounds")]
    [InlineData("""{ "metric": "app.launches", "value": 1e400 }""", "bucket lower bounds")]
    [InlineData("""{ "metric": "install.age_days", "value": 19 }""", "round(log10(x))")]
    [InlineData("""{ "metric": "install.age_days", "value": -1 }""", "round(log10(x))")]
    [InlineData("""{ "metric": "system.os", "value": "Linux" }""", "not an allowed value")]
    [InlineData("""{ "metric": "system.os", "value": 3 }""", "is an enum")]
    [InlineData("""{ "metric": "feature.spellcheck", "value": 1 }""", "true or false")]
    [InlineData("""{ "metric": "startup.ms", "value": { "150": 1 } }""", "not a bucket")]
    [InlineData("""{ "metric": "startup.ms", "value": { "0100": 1 } }""", "not a bucket")]
    [InlineData("""{ "metric": "startup.ms", "value": { "100": 0 } }""", "must be an integer from 1")]
    [InlineData("""{ "metric": "startup.ms", "value": { "100": 1, "100": 2 } }""", "more than once")]
    [InlineData("""{ "metric": "startup.ms", "value": {} }""", "at least one bucket")]
    [InlineData("""{ "metric": "startup.ms", "value": [1, 2] }""", "is a histogram")]
    [InlineData("""{ "metric": "app.launches" }""", "value is required")]
    [InlineData("""{ "value": 10 }""", "metric is required")]
    [InlineData("""{ "metric": "app.launches", "value": 10, "client_id": "abc" }""", "Unknown field")]
    [InlineData("""{ "metric": "app.launches", "metric": "system.os", "value": 10 }""", "more than once")]
    [InlineData("""{ "metric": "legacy.counter", "value": 10 }""", "expired on 2026-10-01")]
    [InlineData("""{ "metric": "app.launches", "value": 10 }, { "metric": "app.launches", "value": 20 }""", "already carries")]
    [InlineData("""{ "metric": "candor.active", "value": true }""", "collected per day")]
    [InlineData("""{ "metric": "app.launches", "period": "2026-11-20", "value": 10 }""", "collected per ISO week")]
    [InlineData("""{ "metric": "candor.active", "period": "2026-11-24", "value": true }""", "in the future")]
    [InlineData("""{ "metric": "app.launches", "period": "2026-W49", "value": 10 }""", "in the future")]
    [InlineData("""{ "metric": "app.launches", "period": "2026-W30", "value": 10 }""", "older than this collector's retention")]
    [InlineData("""{ "metric": "app.launches", "period": "2026-W54", "value": 10 }""", "day (YYYY-MM-DD) or an ISO week")]
    [InlineData("""{ "metric": "app.launches", "period": "2026-11-20T10:00:00Z", "value": 10 }""", "day (YYYY-MM-DD) or an ISO week")]
    [InlineData("""17""", "must be a JSON object")]
    public async Task A_bad_report_is_refused_with_its_reason(string report, string reason)
    {
        var problem = await Problem.AssertAsync(await _host.PostAsync(Batch(report)), HttpStatusCode.BadRequest, "invalid-reports");
        var errors = Problem.Errors(problem);
        Assert.Contains(errors, e => e.Reason.Contains(reason, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{ "period": "2026-W47", "reports": [ { "metric": "app.launches", "value": 10 } ] }""", "schema is required")]
    [InlineData("""{ "schema": "1", "period": "2026-W47", "reports": [ { "metric": "app.launches", "value": 10 } ] }""", "positive integer")]
    [InlineData("""{ "schema": 1, "schema": 1, "period": "2026-W47", "reports": [ { "metric": "app.launches", "value": 10 } ] }""", "more than once")]
    [InlineData("""{ "schema": 1, "period": "2026-W47" }""", "reports is required")]
    [InlineData("""{ "schema": 1, "period": "2026-W47", "reports": [] }""", "at least one report")]
    [InlineData("""{ "schema": 1, "period": "2026-W47", "reports": {} }""", "must be an array")]
    [InlineData("""{ "schema": 1, "reports": [ { "metric": "app.launches", "value": 10 } ] }""", "No period")]
    [InlineData("""{ "schema": 1, "period": "2026-W47", "device": "x", "reports": [ { "metric": "app.launches", "value": 10 } ] }""", "Unknown field")]
    public async Task A_bad_envelope_is_refused_with_its_reason(string body, string reason)
    {
        var problem = await Problem.AssertAsync(await _host.PostAsync(body), HttpStatusCode.BadRequest, "invalid-reports");
        Assert.Contains(Problem.Errors(problem), e => e.Reason.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task More_reports_than_the_limit_are_refused()
    {
        await using var host = await CollectorHost.StartAsync(o => o.MaxReportsPerBatch = 2);
        var problem = await Problem.AssertAsync(await host.PostAsync(TestRegistries.FullBatch), HttpStatusCode.BadRequest, "invalid-reports");
        Assert.Contains(Problem.Errors(problem), e => e.Reason.Contains("at most 2 reports"));
        Assert.Empty(await host.Store.ReadRawAsync(TestRegistries.App));
    }

    [Theory]
    [InlineData("{ \"schema\": 1, ")]
    [InlineData("not json")]
    [InlineData("[1, 2]")]
    [InlineData("{ \"schema\": 1 } { }")]
    [InlineData("")]
    public async Task Malformed_json_is_400(string body)
    {
        await Problem.AssertAsync(await _host.PostAsync(body), HttpStatusCode.BadRequest, "malformed-batch");
    }

    [Fact]
    public async Task Nesting_deeper_than_a_batch_can_be_is_400_malformed()
    {
        string deep = new string('[', 5000) + new string(']', 5000);
        await Problem.AssertAsync(await _host.PostAsync(Batch($$"""{ "metric": "startup.ms", "value": {{deep}} }""")), HttpStatusCode.BadRequest, "malformed-batch");
    }

    [Fact]
    public async Task Invalid_utf8_is_400_malformed()
    {
        var bytes = Encoding.UTF8.GetBytes(Batch("""{ "metric": "system.os", "value": "XX" }"""));
        int at = Array.IndexOf(bytes, (byte)'X');
        bytes[at] = 0xC3; bytes[at + 1] = 0x28; // an invalid two-byte sequence
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{TestRegistries.App}/reports") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        var response = await _host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task An_unknown_app_is_404()
    {
        var problem = await Problem.AssertAsync(await _host.PostAsync(TestRegistries.FullBatch, app: "org.example.unknown"), HttpStatusCode.NotFound, "unknown-app");
        Assert.Contains("org.example.unknown", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_unknown_registry_version_is_409_with_the_known_versions()
    {
        var problem = await Problem.AssertAsync(await _host.PostAsync(TestRegistries.FullBatch.Replace("\"schema\": 1", "\"schema\": 7")), HttpStatusCode.Conflict, "unknown-schema");
        Assert.Equal([1, 2], problem.GetProperty("known_versions").EnumerateArray().Select(v => v.GetInt32()));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=utf-16")]
    public async Task A_wrong_content_type_is_415(string contentType)
    {
        await Problem.AssertAsync(await _host.PostAsync(TestRegistries.FullBatch, contentType: contentType), HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
    }

    [Fact]
    public async Task A_missing_content_type_is_415()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{TestRegistries.App}/reports") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(TestRegistries.FullBatch)) };
        await Problem.AssertAsync(await _host.Client.SendAsync(request), HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
    }

    [Fact]
    public async Task An_unsupported_content_encoding_is_415()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{TestRegistries.App}/reports") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(TestRegistries.FullBatch)) };
        request.Content.Headers.ContentType = new("application/json");
        request.Content.Headers.ContentEncoding.Add("br");
        await Problem.AssertAsync(await _host.Client.SendAsync(request), HttpStatusCode.UnsupportedMediaType, "unsupported-encoding");
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_with_or_without_content_length()
    {
        string padding = new(' ', 70 * 1024);
        var big = TestRegistries.FullBatch + padding;
        await Problem.AssertAsync(await _host.PostAsync(big), HttpStatusCode.RequestEntityTooLarge, "body-too-large");

        // Chunked: no Content-Length, so the limit must hold while reading.
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{TestRegistries.App}/reports")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big))),
        };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TransferEncodingChunked = true;
        await Problem.AssertAsync(await _host.Client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge, "body-too-large");
    }

    [Fact]
    public async Task The_body_limit_is_configurable()
    {
        await using var host = await CollectorHost.StartAsync(o => o.MaxBodyBytes = 1024);
        await Problem.AssertAsync(await host.PostAsync(TestRegistries.FullBatch + new string(' ', 1024)), HttpStatusCode.RequestEntityTooLarge, "body-too-large");
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(TestRegistries.FullBatch)).StatusCode);
    }

    [Fact]
    public async Task A_gzip_bomb_is_413_and_bad_gzip_is_400()
    {
        // 50 MB of spaces compresses to about 50 KB: under the wire limit, far over the decoded limit.
        var bomb = AcceptingReportsTests.Compress(TestRegistries.FullBatch + new string(' ', 50_000_000));
        Assert.True(bomb.Length < 64 * 1024);
        await Problem.AssertAsync(await _host.Client.SendAsync(AcceptingReportsTests.GzipRequest(bomb)), HttpStatusCode.RequestEntityTooLarge, "body-too-large");

        var notGzip = Encoding.UTF8.GetBytes(TestRegistries.FullBatch);
        await Problem.AssertAsync(await _host.Client.SendAsync(AcceptingReportsTests.GzipRequest(notGzip)), HttpStatusCode.BadRequest, "malformed-batch");
    }

    [Theory]
    [InlineData(8)] // the whole trailer cut off: the deflate data alone decodes to the complete batch
    [InlineData(4)] // the length cut off, the CRC-32 still there
    [InlineData(1)]
    public async Task A_gzip_body_cut_in_its_trailer_is_400_and_stores_nothing(int cut)
    {
        var gz = AcceptingReportsTests.Compress(TestRegistries.FullBatch);
        await Problem.AssertAsync(await _host.Client.SendAsync(AcceptingReportsTests.GzipRequest(gz[..^cut])), HttpStatusCode.BadRequest, "malformed-batch");
    }

    [Fact]
    public async Task A_gzip_body_whose_crc_or_length_does_not_match_is_400_and_stores_nothing()
    {
        var gz = AcceptingReportsTests.Compress(TestRegistries.FullBatch);
        var badCrc = gz.ToArray();
        badCrc[^8] ^= 0x01;
        await Problem.AssertAsync(await _host.Client.SendAsync(AcceptingReportsTests.GzipRequest(badCrc)), HttpStatusCode.BadRequest, "malformed-batch");
        var badLength = gz.ToArray();
        badLength[^4] ^= 0x01;
        await Problem.AssertAsync(await _host.Client.SendAsync(AcceptingReportsTests.GzipRequest(badLength)), HttpStatusCode.BadRequest, "malformed-batch");
    }
}

/// <summary>The envelope's fields may come in any order; the answer must not depend on it.</summary>
public sealed class EnvelopeOrderTests : IAsyncLifetime
{
    private CollectorHost _host = null!;
    public async Task InitializeAsync() => _host = await CollectorHost.StartAsync();
    public async Task DisposeAsync() => await _host.DisposeAsync();

    private const string Reports = """[ { "metric": "app.launches", "value": 10 }, { "metric": "candor.active", "period": "2026-11-21", "value": true } ]""";

    [Theory]
    [InlineData("""{ "schema": 1, "period": "2026-W47", "reports": REPORTS }""")]
    [InlineData("""{ "reports": REPORTS, "schema": 1, "period": "2026-W47" }""")]
    [InlineData("""{ "schema": 1, "reports": REPORTS, "period": "2026-W47" }""")]
    [InlineData("""{ "period": "2026-W47", "reports": REPORTS, "schema": 1 }""")]
    public async Task A_valid_batch_is_accepted_whatever_the_order_of_its_fields(string body)
    {
        var response = await _host.PostAsync(body.Replace("REPORTS", Reports));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(2, (await _host.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports));
    }

    [Theory]
    [InlineData("""{ "schema": 1, "period": "2026-W47", "reports": REPORTS }""")]
    [InlineData("""{ "schema": 1, "reports": REPORTS, "period": "2026-W47" }""")]
    [InlineData("""{ "reports": REPORTS, "period": "2026-W47", "schema": 1 }""")]
    public async Task The_same_bad_reports_get_the_same_problems_whatever_the_order(string body)
    {
        const string bad = """[ { "metric": "app.launches", "value": 7 }, { "metric": "system.os", "value": "beos" }, { "metric": "app.launches", "value": 10 } ]""";
        var problem = await Problem.AssertAsync(await _host.PostAsync(body.Replace("REPORTS", bad)), HttpStatusCode.BadRequest, "invalid-reports");
        Assert.Equal([0, 1], Problem.Errors(problem).Select(e => e.Index));
    }

    [Fact]
    public async Task Fields_after_a_long_invalid_reports_array_are_still_read()
    {
        var many = "[" + string.Join(",", Enumerable.Range(0, 150).Select(_ => """{ "metric": "nope.nope", "value": 1 }""")) + "]";
        var problem = await Problem.AssertAsync(await _host.PostAsync($$"""{ "schema": 1, "period": "2026-W47", "reports": {{many}}, "extra": 1 }"""), HttpStatusCode.BadRequest, "invalid-reports");
        Assert.Equal(Candor.Protocol.ReportBatchReader.MaxProblems, Problem.Errors(problem).Count);
    }

    [Fact]
    public async Task The_202_answer_is_json_with_accepted_and_next_report_after_seconds()
    {
        var response = await _host.PostAsync(TestRegistries.FullBatch);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(["accepted", "next_report_after_seconds"], json.EnumerateObject().Select(p => p.Name));
    }
}
