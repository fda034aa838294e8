using System.Net;
using System.Text;
using Candor.Client;
using Candor.Client.Upload;
using Candor.Registry;
using Candor.Tests.Infrastructure;
using Candor.Tests.Operations;

namespace Candor.Tests.Client;

/// <summary>The outbox and uploader against a real collector: schedule, retries, crashes and limits.</summary>
public sealed class UploadTests : IDisposable
{
    private readonly ClientTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_crash_between_sending_and_the_answer_loses_nothing_and_counts_nothing_twice()
    {
        await using var collector = await CollectorHost.StartAsync();
        var tap = new WireTap { LoseAnswer = true };
        using (var client = _kit.Create(collector.BaseAddress, tap))
        {
            client.GrantConsent();
            ClientTestKit.RecordSomething(client);
            _kit.Clock.Set(NextMonday);
            var cycle = await client.UploadAsync();
            Assert.Equal("retrying later", cycle.Status);
            Assert.Equal(1, cycle.Pending);
        } // the process "dies" here; the batch was stored by the collector but never acknowledged

        var stored = await collector.Store.ReadRawAsync(TestRegistries.App);
        Assert.NotEmpty(stored);

        _kit.Clock.Advance(TimeSpan.FromDays(2)); // past any backoff
        var tap2 = new WireTap();
        using (var restarted = _kit.Create(collector.BaseAddress, tap2))
        {
            var cycle = await restarted.UploadAsync();
            Assert.Equal(0, cycle.Pending);
        }

        // The retry was the same bytes with the same key...
        Assert.Equal(tap.Requests[0].Body, tap2.Requests[0].Body);
        Assert.Equal(tap.Requests[0].Headers["Idempotency-Key"], tap2.Requests[0].Headers["Idempotency-Key"]);
        // ...so the collector's store counts every report exactly once.
        var after = await collector.Store.ReadRawAsync(TestRegistries.App);
        Assert.All(stored, r => Assert.Contains(r, after));
        Assert.All(after, r => Assert.Equal(1, r.Reports));
    }

    [Fact]
    public async Task Retry_After_is_honoured_before_retrying()
    {
        await using var collector = await CollectorHost.StartAsync();
        int answered = 0;
        var tap = new WireTap
        {
            Intercept = _ =>
            {
                if (answered++ > 0) return null;
                var r = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
                r.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromHours(6));
                return r;
            },
        };
        var options = _kit.Options(collector.BaseAddress, tap);
        options.InitialBackoff = TimeSpan.FromMinutes(1);
        using var client = CandorClient.Create(options);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);

        var first = await client.UploadAsync();
        Assert.Equal("retrying later", first.Status);
        Assert.True(first.NextUploadAt >= NextMonday + TimeSpan.FromHours(6));

        _kit.Clock.Advance(TimeSpan.FromHours(5));
        Assert.Equal("not due", (await client.UploadAsync()).Status);
        Assert.Single(tap.Requests);

        _kit.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await client.UploadAsync()).Sent);
        Assert.Equal(2, tap.Requests.Count);
        Assert.Contains(client.Log(), l => l.Message.Contains("503"));
    }

    [Fact]
    public async Task Network_errors_back_off_exponentially_with_jitter()
    {
        var options = _kit.Options(LoopbackClient.ClosedUri());
        options.InitialBackoff = TimeSpan.FromMinutes(10);
        options.MaxBackoff = TimeSpan.FromHours(4);
        using var client = CandorClient.Create(options);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);

        var waits = new List<TimeSpan>();
        for (int attempt = 1; attempt <= 8; attempt++)
        {
            var cycle = await client.UploadAsync();
            Assert.Equal("retrying later", cycle.Status);
            var wait = cycle.NextUploadAt!.Value - _kit.Clock.GetUtcNow();
            waits.Add(wait);
            var cap = TimeSpan.FromMinutes(Math.Min(10 * Math.Pow(2, attempt - 1), 240));
            Assert.InRange(wait, cap / 2, cap);
            _kit.Clock.Set(cycle.NextUploadAt.Value);
        }
        Assert.Single(client.Pending());
        Assert.Equal(8, client.Status().ConsecutiveFailures);
    }

    [Fact]
    public void Retryable_answers_are_named_in_one_place()
    {
        Assert.True(RetryPolicy.IsRetryable(HttpStatusCode.ServiceUnavailable));
        Assert.True(RetryPolicy.IsRetryable(HttpStatusCode.InternalServerError));
        Assert.True(RetryPolicy.IsRetryable(HttpStatusCode.TooManyRequests));
        Assert.True(RetryPolicy.IsRetryable(HttpStatusCode.Conflict)); // unknown-schema: not until the operator loads it
        Assert.False(RetryPolicy.IsRetryable(HttpStatusCode.BadRequest));
        Assert.False(RetryPolicy.IsRetryable(HttpStatusCode.NotFound));
        Assert.False(RetryPolicy.IsRetryable(HttpStatusCode.UnprocessableEntity));
        Assert.True(RetryPolicy.IsRetryable(new HttpRequestException("refused")));
    }

    [Fact]
    public async Task A_refusal_other_than_429_drops_the_batch_and_records_why()
    {
        await using var collector = await CollectorHost.StartAsync();
        // The collector does not collect for this app id: 404 unknown-app, which no retry can fix.
        var other = RegistryParser.Parse(TestRegistries.V1.Replace("app: org.example.test", "app: org.example.unknown"), "other.yaml");
        using var client = _kit.Create(collector.BaseAddress, registry: other);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);

        var cycle = await client.UploadAsync();
        Assert.Equal(1, cycle.Dropped);
        Assert.Empty(client.Pending());
        Assert.Contains(client.Log(), l => l.Message.StartsWith("Dropped a batch the collector refused for good: 404"));
    }

    [Fact]
    public async Task The_first_upload_waits_a_random_delay_after_the_period_closes_then_the_collectors_next_report_after()
    {
        await using var collector = await CollectorHost.StartAsync();
        var options = _kit.Options(collector.BaseAddress);
        options.FirstUploadDelayMin = TimeSpan.FromDays(3);
        options.FirstUploadDelayMax = TimeSpan.FromDays(10);
        using var client = CandorClient.Create(options);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        collector.Clock.Set(NextMonday);

        var waiting = await client.UploadAsync();
        Assert.Equal("not due", waiting.Status);
        var weekEnd = new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);
        Assert.InRange(waiting.NextUploadAt!.Value, weekEnd.AddDays(3), weekEnd.AddDays(10));

        _kit.Clock.Set(waiting.NextUploadAt.Value);
        collector.Clock.Set(waiting.NextUploadAt.Value);
        var sent = await client.UploadAsync();
        Assert.Equal(1, sent.Sent);
        var delay = sent.NextUploadAt!.Value - _kit.Clock.GetUtcNow();
        // The collector's next_report_after_seconds (3 to 10 days), in whole days, plus up to 3 days of the device's own jitter.
        Assert.InRange(delay, TimeSpan.FromDays(3), TimeSpan.FromDays(13));

        _kit.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal("not due", (await client.UploadAsync()).Status);
    }

    [Fact]
    public async Task A_year_offline_keeps_the_outbox_within_its_limit_dropping_the_oldest_first()
    {
        var options = _kit.Options(LoopbackClient.ClosedUri());
        options.MaxOutboxBatches = 4;
        options.InitialBackoff = TimeSpan.FromHours(1);
        options.MaxBackoff = TimeSpan.FromDays(1);
        using var client = CandorClient.Create(options);
        client.GrantConsent();

        long previousOldest = 0;
        for (int day = 0; day < 365; day++)
        {
            client.Counter("app.launches").Increment();
            _kit.Clock.Advance(TimeSpan.FromDays(1));
            await client.UploadAsync();
            var pending = client.Pending();
            Assert.InRange(pending.Count, 0, 4);
            if (pending.Count > 0)
            {
                Assert.True(pending[0].Id >= previousOldest); // the oldest leave first
                previousOldest = pending[0].Id;
            }
        }
        Assert.Contains(client.Log(), l => l.Message.Contains("the outbox holds at most 4 batches"));
        var today = DateOnly.FromDateTime(_kit.Clock.GetUtcNow().UtcDateTime);
        Assert.All(client.Pending(), b => Assert.True(b.OldestPeriodEnd >= today.AddDays(-90)));
        Assert.InRange(client.Log().Count, 1, 100); // the local log is bounded too
    }

    [Fact]
    public async Task Batches_too_old_for_the_collector_are_dropped_locally_with_a_reason()
    {
        var tap = new WireTap { Intercept = _ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) };
        var options = _kit.Options(new Uri("http://127.0.0.1:9/"), tap);
        using var client = CandorClient.Create(options);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        await client.UploadAsync();
        Assert.Single(client.Pending());

        _kit.Clock.Advance(TimeSpan.FromDays(100));
        await client.UploadAsync();
        Assert.Empty(client.Pending());
        Assert.Contains(client.Log(), l => l.Message.Contains("more than 90 days ago"));
    }

    [Fact]
    public async Task Without_a_collector_nothing_is_sent_and_data_stays_local()
    {
        using var client = _kit.Create();
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        Assert.Equal("no collector configured", (await client.UploadAsync()).Status);
        Assert.NotEmpty(client.Show());
    }
    [Fact]
    public async Task A_400_from_the_collector_drops_the_batch_and_records_the_reason()
    {
        // The operator keeps only 3 days; the client's week-old report is refused as a whole.
        await using var collector = await CollectorHost.StartAsync(o => { o.RetentionDays = 3; o.PublishAfterDays = 2; });
        using var client = _kit.Create(collector.BaseAddress);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        collector.Clock.Set(NextMonday.AddDays(6));

        var cycle = await client.UploadAsync();
        Assert.True(cycle.Dropped >= 1);
        Assert.Empty(client.Pending());
        Assert.Contains(client.Log(), l => l.Message.Contains("400") && l.Message.Contains("invalid-reports"));
        Assert.Empty(await collector.Store.ReadRawAsync(TestRegistries.App));
    }

    [Fact]
    public async Task An_unknown_schema_is_kept_and_retried_until_the_operator_loads_it()
    {
        await using var collector = await CollectorHost.StartAsync();
        var v7 = RegistryParser.Parse(TestRegistries.V1.Replace("version: 1", "version: 7"), "v7.yaml");
        using var client = _kit.Create(collector.BaseAddress, registry: v7);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);

        var cycle = await client.UploadAsync();
        Assert.Equal("retrying later", cycle.Status);
        Assert.Single(client.Pending());
        Assert.Contains(client.Log(), l => l.Message.Contains("409"));
    }
    [Fact]
    public void Without_uploads_the_local_store_keeps_nothing_older_than_the_collector_would_accept()
    {
        using var client = _kit.Create();
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        client.Flush();
        _kit.Clock.Advance(TimeSpan.FromDays(100));
        client.Flush();
        Assert.DoesNotContain(client.Show(), i => i.Period == "2026-W47");
        Assert.Contains(client.Log(), l => l.Message.Contains("older than 90 days that were never sent"));
    }
}
