using System.Net;
using System.Text.Json;
using Candor.Client;
using Candor.Client.Outbox;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.Ohttp;

/// <summary>
/// Split uploads through the real chain (client library, <c>candor relay</c>, the collector's gateway on
/// SQLite), with the clock driven by hand: each report of a closed period leaves in its own sealed
/// request at its own random moment, and is counted once whatever breaks on the way.
/// </summary>
public sealed class SplitUploadTests : IAsyncLifetime
{
    /// <summary>2026-W47 ends on Sunday 2026-11-22; its upload window is 3 to 10 days after that.</summary>
    private static readonly DateTimeOffset WeekEnd = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);

    private readonly ClientTestKit _kit = new();
    private OhttpChain _chain = null!;

    public async Task InitializeAsync() => _chain = await OhttpChain.StartAsync();

    public async Task DisposeAsync()
    {
        await _chain.DisposeAsync();
        _kit.Dispose();
    }

    private CandorClient Client(HttpMessageHandler toRelay)
    {
        var options = _chain.ClientOptions(_kit, toRelay);
        options.FirstUploadDelayMin = TimeSpan.FromDays(3);
        options.FirstUploadDelayMax = TimeSpan.FromDays(10);
        options.RecordActivity = false; // one week's reports only, so every count below is exact
        return CandorClient.Create(options);
    }

    private async Task<IReadOnlyList<Candor.Collector.Storage.RawRow>> StoredAsync() => await _chain.Collector.Store.ReadRawAsync(TestRegistries.App);

    private static int ReportsIn(OutboxBatch part)
    {
        using var doc = JsonDocument.Parse(part.Body);
        return doc.RootElement.GetProperty("reports").GetArrayLength();
    }

    /// <summary>Idempotency keys the collector has seen: one per request it counted.</summary>
    private long KeysSeen()
    {
        using var c = new SqliteConnection($"Data Source={_chain.Collector.DatabasePath};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM idempotency_keys;";
        return (long)cmd.ExecuteScalar()!;
    }

    [Fact]
    public async Task Each_report_leaves_in_its_own_sealed_request_at_its_own_random_moment_within_the_window()
    {
        var tap = new WireTap();
        var sentAt = new List<DateTimeOffset>();
        tap.Intercept = request =>
        {
            if (request.Method == HttpMethod.Post)
                lock (sentAt) sentAt.Add(_kit.Clock.GetUtcNow());
            return null;
        };
        using var client = Client(tap);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);

        _kit.Clock.Set(WeekEnd + TimeSpan.FromHours(1));
        var first = await client.UploadAsync();
        Assert.Equal("not due", first.Status); // split at once, but nothing leaves before the window opens
        var parts = client.Pending();
        Assert.Equal(5, parts.Count); // app.launches, system.os, feature.spellcheck, install.age_days, startup.ms
        Assert.All(parts, p => Assert.Equal(1, ReportsIn(p)));
        Assert.Equal(parts.Count, parts.Select(p => p.IdempotencyKey).Distinct().Count());
        var due = parts.Select(p => p.SendAfter!.Value).ToList();
        Assert.All(due, d => Assert.InRange(d, WeekEnd.AddDays(3), WeekEnd.AddDays(10)));
        // Independent draws, not one burst: no two parts share an hour, and they spread over days.
        Assert.Equal(due.Count, due.Select(d => d.ToString("yyyy-MM-dd HH")).Distinct().Count());
        Assert.True(due.Max() - due.Min() > TimeSpan.FromDays(1), string.Join(", ", due));
        Assert.Equal(parts.OrderBy(p => p.SendAfter).First().Json, client.Preview()); // the preview is the next part to leave

        // Hour by hour through the window, as the background check would: each cycle sends only what is due.
        for (var at = WeekEnd.AddDays(3); at <= WeekEnd.AddDays(10).AddHours(1); at += TimeSpan.FromHours(1))
        {
            _kit.Clock.Set(at);
            var cycle = await client.UploadAsync();
            Assert.True(cycle.Sent <= 1, $"{cycle.Sent} parts left together at {at:u}");
        }
        Assert.Empty(client.Pending());
        Assert.Equal(parts.Count, sentAt.Count);
        foreach (var d in due)
            Assert.Contains(sentAt, s => s >= d && s < d + TimeSpan.FromHours(1));
        Assert.Equal(parts.Count, _chain.SealedRequestsForwarded); // one request per report reached the gateway

        // The collector counted each report once, and one request per report (one key each).
        var rows = await StoredAsync();
        Assert.Equal(parts.Count, rows.Sum(r => r.Reports));
        Assert.Equal(1, rows.Where(r => r.Metric == "system.os").Sum(r => r.Reports));
        Assert.Equal(parts.Count, KeysSeen());
        Assert.Equal(parts.Count, client.Sent().Count);
    }

    [Fact]
    public async Task Every_report_is_counted_once_after_a_lost_answer_a_503_a_dropped_connection_and_a_restart_midway()
    {
        var faults = new FaultyHop(Fault.LoseAnswer, Fault.Answer503, Fault.DropConnection);
        List<string> keysBefore;
        int parts;
        using (var client = Client(faults))
        {
            client.GrantConsent();
            ClientTestKit.RecordSomething(client);
            _kit.Clock.Set(WeekEnd + TimeSpan.FromHours(1));
            await client.UploadAsync();
            keysBefore = client.Pending().Select(p => p.IdempotencyKey).Order().ToList();
            parts = keysBefore.Count;
            // Half way through the window, then the app is closed: some parts sent (one of them unacknowledged), some failed, some not yet due.
            for (var at = WeekEnd.AddDays(3); at <= WeekEnd.AddDays(6.5); at += TimeSpan.FromHours(1))
            {
                _kit.Clock.Set(at);
                await client.UploadAsync();
            }
            Assert.Equal(0, faults.Pending); // all three faults happened
            Assert.NotEmpty(client.Pending());
            Assert.True(client.Pending().Count < parts);
        }

        // A new process on the same data directory: the same parts under the same keys, nothing re-split.
        var clean = new WireTap();
        using (var restarted = Client(clean))
        {
            Assert.Equal(restarted.Pending().Count, restarted.Pending().Select(p => p.IdempotencyKey).Intersect(keysBefore).Count());
            for (var at = WeekEnd.AddDays(6.5); at <= WeekEnd.AddDays(12); at += TimeSpan.FromHours(1))
            {
                _kit.Clock.Set(at);
                await restarted.UploadAsync();
            }
            Assert.Empty(restarted.Pending());
        }

        // The lost answer's part was stored the first time and answered from the idempotency record after;
        // the 503 and the dropped connection never reached the collector and were sent again later.
        var rows = await StoredAsync();
        Assert.Equal(parts, rows.Sum(r => r.Reports));
        foreach (var metric in new[] { "app.launches", "system.os", "feature.spellcheck", "install.age_days", "startup.ms" })
            Assert.Equal(1, rows.Where(r => r.Metric == metric).Sum(r => r.Reports));
        Assert.Equal(parts, KeysSeen());
        Assert.Equal(parts + 1, _chain.SealedRequestsForwarded); // the unacknowledged part went through twice
    }

    [Fact]
    public async Task A_batch_already_sent_whole_is_never_split_so_its_reports_cannot_be_counted_twice()
    {
        // Sent whole (split uploads off), stored, the answer lost: the collector holds it under the batch's key.
        var options = _chain.ClientOptions(_kit, new FaultyHop(Fault.LoseAnswer));
        options.SplitUploads = false;
        options.RecordActivity = false;
        string batchKey;
        using (var whole = CandorClient.Create(options))
        {
            whole.GrantConsent();
            ClientTestKit.RecordSomething(whole);
            _kit.Clock.Set(WeekEnd.AddDays(1));
            Assert.Equal("retrying later", (await whole.UploadAsync()).Status);
            batchKey = Assert.Single(whole.Pending()).IdempotencyKey;
        }
        var storedOnce = (await StoredAsync()).Sum(r => r.Reports);
        Assert.True(storedOnce > 0);

        // The app is updated with split uploads on: the attempted batch goes again whole, under its key.
        using (var split = Client(new WireTap()))
        {
            _kit.Clock.Set(WeekEnd.AddDays(3));
            Assert.Equal(batchKey, Assert.Single(split.Pending()).IdempotencyKey);
            var cycle = await split.UploadAsync();
            Assert.Equal(1, cycle.Sent);
            Assert.Empty(split.Pending());
        }
        Assert.Equal(storedOnce, (await StoredAsync()).Sum(r => r.Reports));
    }

    [Fact]
    public async Task A_batch_sealed_just_before_a_crash_is_split_on_restart_under_keys_derived_from_its_own()
    {
        // The process sealed a week into a batch and died before splitting it (or inside the splitting transaction, which then left no trace).
        using (var first = Client(new WireTap()))
            first.GrantConsent(); // the user said yes long before
        const string body = """{"schema":1,"reports":[{"metric":"system.os","period":"2026-W47","value":"linux"},{"metric":"app.launches","period":"2026-W47","value":5}]}""";
        var store = new Candor.Client.LocalStore.ClientStore(_kit.DataDirectory, 100, _kit.Clock);
        new PendingOutbox(store, 30, 90).Seal([(System.Text.Encoding.UTF8.GetBytes(body), new DateOnly(2026, 11, 23))], []);
        var batchKey = Assert.Single(new PendingOutbox(store, 30, 90).Pending()).IdempotencyKey;

        _kit.Clock.Set(WeekEnd + TimeSpan.FromHours(1));
        using var client = Client(new WireTap());
        await client.UploadAsync();
        Assert.Equal(new[] { ReportSplitter.ItemKey(batchKey, 0), ReportSplitter.ItemKey(batchKey, 1) }.Order(), client.Pending().Select(p => p.IdempotencyKey).Order());

        _kit.Clock.Set(WeekEnd.AddDays(10).AddHours(1));
        Assert.Equal(2, (await client.UploadAsync()).Sent);
        var rows = await StoredAsync();
        Assert.Equal(1, rows.Single(r => r.Metric == "system.os").Reports);
        Assert.Equal(1, rows.Single(r => r.Metric == "app.launches").Reports);
    }

    [Fact]
    public async Task The_outbox_limit_counts_the_parts_of_one_batch_as_that_batch()
    {
        var options = _chain.ClientOptions(_kit, new WireTap());
        options.FirstUploadDelayMin = TimeSpan.FromDays(3);
        options.FirstUploadDelayMax = TimeSpan.FromDays(10);
        options.RecordActivity = false;
        options.MaxOutboxBatches = 1;
        using var client = CandorClient.Create(options);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(WeekEnd + TimeSpan.FromHours(1));
        await client.UploadAsync();
        Assert.Equal(5, client.Pending().Count); // one batch's five parts: within a limit of one batch

        // A second week closes before any part of the first left: two batches, one over the limit.
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(WeekEnd.AddDays(7) + TimeSpan.FromHours(1));
        var cycle = await client.UploadAsync();
        Assert.Equal(1, cycle.Dropped); // the first week's batch, all five parts of it, as one drop
        Assert.Equal(0, cycle.Sent);
        var left = client.Pending();
        Assert.Equal(5, left.Count);
        Assert.All(left, p => Assert.Contains("2026-W48", p.Json));
        Assert.Contains(client.Log(), e => e.Message.Contains("Dropped the oldest pending batch", StringComparison.Ordinal));
    }

    [Fact]
    public void Splitting_the_same_batch_again_gives_the_same_keys_and_keeps_every_field_of_each_report()
    {
        var body = """{"schema":1,"reports":[{"metric":"system.os","period":"2026-W47","value":"linux","nonce":"AAEC","commitment":"q83v"},{"metric":"app.launches","period":"2026-W47","value":5}]}"""u8.ToArray();
        var first = ReportSplitter.Split(body, "0f8fad5bd9cb469fa16570867728950e");
        var again = ReportSplitter.Split(body, "0f8fad5bd9cb469fa16570867728950e");
        Assert.Equal(first.Select(p => p.IdempotencyKey), again.Select(p => p.IdempotencyKey));
        Assert.Equal(2, first.Select(p => p.IdempotencyKey).Distinct().Count());
        Assert.NotEqual(first[0].IdempotencyKey, ReportSplitter.Split(body, "1f8fad5bd9cb469fa16570867728950e")[0].IdempotencyKey);
        Assert.Equal("""{"schema":1,"reports":[{"metric":"system.os","period":"2026-W47","value":"linux","nonce":"AAEC","commitment":"q83v"}]}""",
            System.Text.Encoding.UTF8.GetString(first[0].Body));
        Assert.Equal(new DateOnly(2026, 11, 23), first[1].PeriodEnd);
    }

    [Fact]
    public void Split_uploads_are_on_by_default_with_ohttp_and_tor_required_and_off_with_a_direct_connection()
    {
        var options = _kit.Options(new Uri("https://metrics.example.org/"));
        Assert.False(options.EffectiveSplitUploads);
        options.Ohttp = new Candor.Client.Transport.OhttpTransportOptions { Relay = new Uri("https://relay.example.net/"), KeyConfigs = _chain.ShippedKeys };
        Assert.True(options.EffectiveSplitUploads);
        options.SplitUploads = false;
        Assert.False(options.EffectiveSplitUploads);
        var tor = new CandorClientOptions { Transport = Candor.Client.Transport.TransportMode.TorRequired };
        Assert.True(tor.EffectiveSplitUploads);
        Assert.False(new CandorClientOptions { Transport = Candor.Client.Transport.TransportMode.Direct }.EffectiveSplitUploads);
    }

    [Fact]
    public async Task In_the_background_each_part_leaves_at_its_own_moment_not_at_the_next_hourly_check()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(WeekEnd - TimeSpan.FromHours(1));
        var sentAt = new List<DateTimeOffset>();
        var tap = new WireTap
        {
            Intercept = request =>
            {
                if (request.Method == HttpMethod.Post)
                    lock (sentAt) sentAt.Add(clock.GetUtcNow());
                return null;
            },
        };
        var options = _chain.ClientOptions(_kit, tap);
        options.TimeProvider = clock;
        options.BackgroundWork = true;
        options.RecordActivity = false;
        options.FirstUploadDelayMin = TimeSpan.Zero;
        options.FirstUploadDelayMax = TimeSpan.FromHours(6);
        using var client = CandorClient.Create(options);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);

        // Minute by minute: the hourly check seals and splits the closed week, then each part's own timer sends it.
        List<DateTimeOffset>? due = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (due is null || client.Pending().Count > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"parts still pending at {clock.GetUtcNow():u}: {client.Pending().Count}");
            Assert.True(clock.GetUtcNow() < WeekEnd.AddHours(9), "the parts were not all sent within their window");
            clock.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(8); // the tick's upload runs on the thread pool against a real socket
            if (due is null && client.Pending() is { Count: 5 } parts && sentAt.Count == 0)
                due = parts.Select(p => p.SendAfter!.Value).Order().ToList();
            // A part is due and not sent yet: move on by seconds only, then let its request finish before the clock runs on.
            while (due is not null && sentAt.Count < 5 && clock.GetUtcNow() >= due[sentAt.Count] && DateTime.UtcNow < deadline)
            {
                clock.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(20);
            }
            while (due is not null && client.Pending().Count > 5 - sentAt.Count && DateTime.UtcNow < deadline)
                await Task.Delay(5);
        }
        Assert.NotNull(due);
        Assert.Equal(5, sentAt.Count);
        var sent = sentAt.Order().ToList();
        for (int i = 0; i < 5; i++)
            Assert.InRange(sent[i], due![i], due[i] + TimeSpan.FromMinutes(2)); // the hourly check alone would be up to an hour late
    }

    private enum Fault { LoseAnswer, Answer503, DropConnection }

    /// <summary>Between client and relay: the next sealed requests meet these faults in turn; then everything passes.</summary>
    private sealed class FaultyHop(params Fault[] faults) : DelegatingHandler(new SocketsHttpHandler())
    {
        private readonly Queue<Fault> _faults = new(faults);

        public int Pending => _faults.Count;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method != HttpMethod.Post || !_faults.TryDequeue(out var fault))
                return await base.SendAsync(request, cancellationToken);
            switch (fault)
            {
                case Fault.Answer503:
                    return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("") };
                case Fault.DropConnection:
                    throw new HttpRequestException("The connection was reset before the request was sent.");
                default:
                    (await base.SendAsync(request, cancellationToken)).Dispose();
                    throw new HttpRequestException("The connection was reset (the answer was lost after the relay forwarded the request).");
            }
        }
    }
}
