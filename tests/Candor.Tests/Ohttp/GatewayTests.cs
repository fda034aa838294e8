using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Candor.Collector.Ohttp;
using Candor.Hpke;
using Candor.Ohttp;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Ohttp;

/// <summary>The collector's Oblivious HTTP gateway on real Kestrel and SQLite, spoken to directly (no relay).</summary>
public sealed class GatewayTests : IAsyncLifetime
{
    private CollectorHost _host = null!;
    private string KeysFile => Path.Combine(_host.Directory, "ohttp-keys.json");

    public async Task InitializeAsync() =>
        _host = await CollectorHost.StartAsync(o => o.OhttpKeysFile = Path.Combine(o.Database, "..", "ohttp-keys.json"));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<IReadOnlyList<OhttpKeyConfig>> KeysAsync()
    {
        var response = await _host.Client.GetAsync(GatewayEndpoints.Path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(OhttpMediaTypes.Keys, response.Content.Headers.ContentType!.MediaType);
        return OhttpKeyConfig.ParseList(await response.Content.ReadAsByteArrayAsync());
    }

    internal static BinaryHttpRequest ReportRequest(string json, string? idempotencyKey = null) => new()
    {
        Method = "POST",
        Authority = "collector.example",
        Path = $"/v1/apps/{TestRegistries.App}/reports",
        Headers = idempotencyKey is null
            ? [new("content-type", "application/json"), new("user-agent", "canary-agent/1.0")]
            : [new("content-type", "application/json"), new("idempotency-key", idempotencyKey)],
        Content = Encoding.UTF8.GetBytes(json),
    };

    private async Task<(HttpResponseMessage Outer, BinaryHttpResponse? Inner)> SendAsync(OhttpKeyConfig config, BinaryHttpRequest request, Func<byte[], byte[]>? alter = null)
    {
        var sealedRequest = ObliviousRequest.Encapsulate(config, request.Encode());
        var content = new ByteArrayContent(alter is null ? sealedRequest.Encapsulated : alter(sealedRequest.Encapsulated));
        content.Headers.ContentType = new MediaTypeHeaderValue(OhttpMediaTypes.Request);
        var outer = await _host.Client.PostAsync(GatewayEndpoints.Path, content);
        if (outer.StatusCode != HttpStatusCode.OK)
            return (outer, null);
        Assert.Equal(OhttpMediaTypes.Response, outer.Content.Headers.ContentType!.MediaType);
        return (outer, BinaryHttpResponse.Decode(sealedRequest.OpenResponse(await outer.Content.ReadAsByteArrayAsync())));
    }

    [Fact]
    public async Task The_gateway_publishes_an_x25519_and_a_p256_key_configuration()
    {
        var keys = await KeysAsync();
        Assert.Equal([KemId.X25519Sha256, KemId.P256Sha256], keys.Select(k => k.Kem));
        Assert.Contains((KdfId.HkdfSha256, AeadId.Aes128Gcm), keys[0].Algorithms);
        Assert.NotEqual(keys[0].KeyId, keys[1].KeyId);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task An_encapsulated_batch_is_stored_and_answered_inside_an_ohttp_response(int keyIndex)
    {
        var config = (await KeysAsync())[keyIndex];
        var (outer, inner) = await SendAsync(config, ReportRequest(TestRegistries.FullBatch));
        Assert.Equal(HttpStatusCode.OK, outer.StatusCode);
        Assert.Equal(202, inner!.Status);
        Assert.Equal(6, JsonDocument.Parse(inner.Content).RootElement.GetProperty("accepted").GetInt32());
        Assert.Contains(inner.Headers, h => h.Key == "content-type" && h.Value.StartsWith("application/json"));
        Assert.NotEmpty(await _host.Store.ReadRawAsync(TestRegistries.App));
        // The user agent sealed into the request never reaches an endpoint, the database or a log line.
        Assert.DoesNotContain("canary-agent", DatabaseContent.Dump(_host.DatabasePath), StringComparison.Ordinal);
        Assert.DoesNotContain(_host.Logs.Lines, l => l.Contains("canary-agent", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_batch_inside_is_refused_like_a_direct_one_and_stores_nothing()
    {
        var config = (await KeysAsync())[0];
        var (_, inner) = await SendAsync(config, ReportRequest("""{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "no.such", "value": 1 } ] }"""));
        Assert.Equal(400, inner!.Status);
        Assert.Contains("invalid-reports", Encoding.UTF8.GetString(inner.Content));
        Assert.Empty(await _host.Store.ReadRawAsync(TestRegistries.App));
    }

    [Fact]
    public async Task A_retried_encapsulated_batch_with_the_same_idempotency_key_is_counted_once()
    {
        var config = (await KeysAsync())[0];
        for (int i = 0; i < 3; i++)
            Assert.Equal(202, (await SendAsync(config, ReportRequest(TestRegistries.FullBatch, "retry-1"))).Inner!.Status);
        var launches = (await _host.Store.ReadRawAsync(TestRegistries.App)).Where(r => r.Metric == "app.launches").Sum(r => r.Reports);
        Assert.Equal(1, launches);
    }

    [Fact]
    public async Task A_request_under_a_key_the_gateway_does_not_hold_gets_the_rfc9458_key_problem()
    {
        var stranger = OhttpGatewayKey.Generate(200, KemId.X25519Sha256).Config;
        var (outer, _) = await SendAsync(stranger, ReportRequest(TestRegistries.FullBatch));
        Assert.Equal(HttpStatusCode.BadRequest, outer.StatusCode);
        var problem = JsonDocument.Parse(await outer.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(GatewayEndpoints.KeyProblemType, problem.GetProperty("type").GetString());
        Assert.Empty(await _host.Store.ReadRawAsync(TestRegistries.App));
    }

    [Fact]
    public async Task A_tampered_request_is_refused_with_problem_json_and_stores_nothing()
    {
        var config = (await KeysAsync())[0];
        var (outer, _) = await SendAsync(config, ReportRequest(TestRegistries.FullBatch), bytes => { bytes[^1] ^= 1; return bytes; });
        Assert.Equal(HttpStatusCode.BadRequest, outer.StatusCode);
        Assert.Equal("application/problem+json", outer.Content.Headers.ContentType!.MediaType);
        Assert.Contains("ohttp-undecryptable", await outer.Content.ReadAsStringAsync());

        var (truncated, _) = await SendAsync(config, ReportRequest(TestRegistries.FullBatch), bytes => bytes[..10]);
        Assert.Equal(HttpStatusCode.BadRequest, truncated.StatusCode);
        Assert.Empty(await _host.Store.ReadRawAsync(TestRegistries.App));
    }

    [Fact]
    public async Task Wrong_media_type_is_415_and_an_oversized_body_413()
    {
        var json = new ByteArrayContent(Encoding.UTF8.GetBytes(TestRegistries.FullBatch));
        json.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await _host.Client.PostAsync(GatewayEndpoints.Path, json)).StatusCode);

        var big = new ByteArrayContent(new byte[_host.Options.MaxBodyBytes + 1024]);
        big.Headers.ContentType = new MediaTypeHeaderValue(OhttpMediaTypes.Request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await _host.Client.PostAsync(GatewayEndpoints.Path, big)).StatusCode);

        // Without a declared length (chunked) the bound is applied while reading.
        var chunked = new StreamContent(new NonSeekable(new byte[_host.Options.MaxBodyBytes + 1024]));
        chunked.Headers.ContentType = new MediaTypeHeaderValue(OhttpMediaTypes.Request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await _host.Client.PostAsync(GatewayEndpoints.Path, chunked)).StatusCode);
    }

    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }

    [Theory]
    [InlineData("GET", "/v1/public/apps")]
    [InlineData("GET", "/.well-known/ohttp-gateway")]
    [InlineData("POST", "/v1/apps/org.example.test/purges")]
    [InlineData("GET", "/metrics")]
    public async Task Only_reports_announcements_and_the_registry_are_reachable_through_the_gateway(string method, string path)
    {
        var config = (await KeysAsync())[0];
        var (_, inner) = await SendAsync(config, new BinaryHttpRequest { Method = method, Path = path });
        Assert.Equal(404, inner!.Status);
        Assert.Contains("not-through-gateway", Encoding.UTF8.GetString(inner.Content));

        var (_, registry) = await SendAsync(config, new BinaryHttpRequest { Method = "GET", Path = $"/v1/apps/{TestRegistries.App}/registry" });
        Assert.Equal(200, registry!.Status);
    }

    [Fact]
    public async Task A_rotated_key_still_opens_requests_during_the_overlap_and_not_after()
    {
        var before = await KeysAsync();
        OhttpKeyRing.Rotate(KeysFile, _host.Clock.GetUtcNow(), TimeSpan.FromDays(_host.Options.OhttpKeyOverlapDays));
        _host.Clock.Advance(OhttpKeyRing.RecheckInterval + TimeSpan.FromSeconds(1));

        var after = await KeysAsync();
        Assert.Equal(2, after.Count);
        Assert.DoesNotContain(after, k => before.Any(b => b.Encode().AsSpan().SequenceEqual(k.Encode())));
        Assert.Equal(202, (await SendAsync(before[0], ReportRequest(TestRegistries.FullBatch))).Inner!.Status);
        Assert.Equal(202, (await SendAsync(after[0], ReportRequest(TestRegistries.FullBatch))).Inner!.Status);

        _host.Clock.Advance(TimeSpan.FromDays(_host.Options.OhttpKeyOverlapDays));
        var (outer, _) = await SendAsync(before[0], ReportRequest(TestRegistries.FullBatch));
        Assert.Equal(HttpStatusCode.BadRequest, outer.StatusCode);
        Assert.Contains(GatewayEndpoints.KeyProblemType, await outer.Content.ReadAsStringAsync());
        Assert.Equal(202, (await SendAsync(after[0], ReportRequest(TestRegistries.FullBatch))).Inner!.Status);
    }
}
