using System.Net;
using System.Text.Json;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Ingest;

public sealed class IdempotencyTests : IAsyncLifetime
{
    private CollectorHost _host = null!;

    public async Task InitializeAsync() => _host = await CollectorHost.StartAsync();
    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_retry_with_the_same_key_returns_the_first_answer_and_stores_nothing_new()
    {
        var first = await _host.PostAsync(TestRegistries.FullBatch, idempotencyKey: "batch-0001");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        string firstBody = await first.Content.ReadAsStringAsync();
        var before = DatabaseContent.Dump(_host.DatabasePath);

        var retry = await _host.PostAsync(TestRegistries.FullBatch, idempotencyKey: "batch-0001");
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal(firstBody, await retry.Content.ReadAsStringAsync());
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(before, DatabaseContent.Dump(_host.DatabasePath));
        Assert.Equal(6, (await _host.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports));
    }

    [Fact]
    public async Task Concurrent_retries_with_one_key_are_stored_once()
    {
        var tasks = Enumerable.Range(0, 20).Select(_ => _host.PostAsync(TestRegistries.FullBatch, idempotencyKey: "same-key")).ToList();
        var responses = await Task.WhenAll(tasks);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));
        Assert.Single(bodies.Distinct());
        Assert.Equal(6, (await _host.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports));
    }

    [Fact]
    public async Task Keys_are_per_app_and_a_key_without_retry_is_just_a_new_batch()
    {
        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync(TestRegistries.FullBatch, idempotencyKey: "k1")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync(TestRegistries.FullBatch, idempotencyKey: "k2")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync(TestRegistries.FullBatch)).StatusCode);
        Assert.Equal(18, (await _host.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports));
    }

    [Fact]
    public async Task Reusing_a_key_for_a_different_batch_is_422_and_stores_nothing()
    {
        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync(TestRegistries.FullBatch, idempotencyKey: "reused")).StatusCode);
        var other = TestRegistries.FullBatch.Replace("\"linux\"", "\"macos\"");
        await Problem.AssertAsync(await _host.PostAsync(other, idempotencyKey: "reused"), HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
        Assert.DoesNotContain(await _host.Store.ReadRawAsync(TestRegistries.App), r => r.Value == "macos");
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("")]
    public async Task A_malformed_key_is_400(string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{TestRegistries.App}/reports")
        {
            Content = new StringContent(TestRegistries.FullBatch, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        await Problem.AssertAsync(await _host.Client.SendAsync(request), HttpStatusCode.BadRequest, "bad-idempotency-key");
        var tooLong = await _host.PostAsync(TestRegistries.FullBatch, idempotencyKey: new string('k', 256));
        await Problem.AssertAsync(tooLong, HttpStatusCode.BadRequest, "bad-idempotency-key");
    }

    [Fact]
    public async Task Keys_live_in_their_own_table_with_no_link_to_rows()
    {
        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync(TestRegistries.FullBatch, idempotencyKey: "table-check")).StatusCode);
        Assert.Equal(["key_hash", "body_mac", "accepted", "next_after", "first_seen"], DatabaseContent.Columns(_host.DatabasePath, "idempotency_keys"));
        // The key itself is not stored, only a hash of app and key.
        Assert.DoesNotContain("table-check", System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(_host.DatabasePath)) + ReadWal());
    }

    [Fact]
    public async Task Keys_are_forgotten_after_the_idempotency_window()
    {
        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync(TestRegistries.FullBatch, idempotencyKey: "old")).StatusCode);
        Assert.Equal(0, await _host.Store.PurgeIdempotencyKeysAsync(new DateOnly(2026, 11, 22).AddDays(-14)));
        Assert.Equal(1, await _host.Store.PurgeIdempotencyKeysAsync(new DateOnly(2026, 12, 7).AddDays(-14)));
    }

    private string ReadWal()
    {
        var wal = _host.DatabasePath + "-wal";
        if (!File.Exists(wal)) return "";
        using var s = new FileStream(wal, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}

public sealed class IdempotencyWindowTests
{
    [Fact]
    public async Task A_key_is_remembered_across_restarts_and_forgotten_after_14_days()
    {
        var dir = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
        await using (var first = await CollectorHost.StartAsync(directory: dir))
            Assert.Equal(HttpStatusCode.Accepted, (await first.PostAsync(TestRegistries.FullBatch, idempotencyKey: "window")).StatusCode);

        await using (var again = await CollectorHost.StartAsync(directory: dir))
        {
            var retry = await again.PostAsync(TestRegistries.FullBatch, idempotencyKey: "window");
            Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        }

        // Fifteen days on, the janitor (it runs at start-up, then hourly) has forgotten the key.
        await using (var later = await CollectorHost.StartAsync(directory: dir, clockStart: TestRegistries.Now.AddDays(15)))
        {
            var week = Candor.Protocol.PeriodKey.WeekOf(DateOnly.FromDateTime(TestRegistries.Now.AddDays(15).UtcDateTime)).ToString();
            var body = $$"""{ "schema": 1, "period": "{{week}}", "reports": [ { "metric": "system.os", "value": "linux" } ] }""";
            // Same key, and a body never seen: were the key still known this would be 422.
            var response = await later.PostAsync(body, idempotencyKey: "window");
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.False(response.Headers.Contains("Idempotent-Replayed"));
        }
        Directory.Delete(dir, recursive: true);
    }
}
