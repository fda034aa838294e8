using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Candor.Client;
using Candor.Client.Transparency;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;
using Candor.Transparency;

namespace Candor.Tests.Transparency;

/// <summary>
/// The client library against the real collector's log on loopback, on each storage engine
/// (<see cref="TransparencyEndToEndTests"/> on SQLite, <see cref="PostgresClientLogTests"/>): reports sent
/// are sealed into an epoch and proved, and deleted by receipt exactly once.
/// </summary>
public abstract class ClientLogSpecifications : IAsyncLifetime, IDisposable
{
    protected static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    protected readonly ClientTestKit _kit = new();
    protected readonly ClientTestKit _otherDevice = new();
    protected CollectorHost _collector = null!;
    private string _logKey = null!;

    /// <summary>A collector on this engine, with a fresh database.</summary>
    protected abstract Task<CollectorHost> StartCollectorAsync();

    public async Task InitializeAsync()
    {
        _collector = await StartCollectorAsync();
        _logKey = (await _collector.Client.GetStringAsync("/v1/log/key")).Trim(); // what the app ships
    }

    public virtual async Task DisposeAsync() => await _collector.DisposeAsync();

    public void Dispose()
    {
        _kit.Dispose();
        _otherDevice.Dispose();
    }

    protected CandorClient Device(ClientTestKit kit)
    {
        var options = kit.Options(_collector.BaseAddress);
        options.LogKey = _logKey;
        return CandorClient.Create(options);
    }

    protected static async Task SendWeekAsync(CandorClient client, ClientTestKit kit)
    {
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        client.Flush();
        kit.Clock.Set(NextMonday);
        Assert.Equal(1, (await client.UploadAsync()).Sent);
    }

    /// <summary>Other installations' batches, so the device's reports sit among others in the epoch.</summary>
    protected async Task OthersAsync(int batches)
    {
        for (int i = 0; i < batches; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await _collector.PostAsync(LogKit.Batch(TestRegistries.App, LogEndToEndTests.Linux).Body)).StatusCode);
    }

    [StoreFact]
    public async Task Reports_sent_are_pending_until_their_epoch_then_proved_included_for_every_metric_type()
    {
        using var device = Device(_kit);
        await SendWeekAsync(device, _kit);
        await OthersAsync(3);

        var before = await device.VerifyReportsAsync();
        Assert.Null(before.Alarm);
        Assert.Equal(0UL, before.CheckpointSize);
        Assert.All(before.Receipts, c => Assert.Equal(ReceiptVerdict.Pending, c.Verdict));

        Assert.NotNull(await LogKit.SealAsync(_collector));
        var after = await device.VerifyReportsAsync();

        Assert.Null(after.Alarm);
        Assert.False(after.TrustOnFirstUse);
        Assert.Equal((ulong)device.Receipts().Count + 6UL, after.CheckpointSize);
        Assert.Equal(["app.launches", "candor.active", "candor.active_week", "feature.spellcheck", "install.age_days", "startup.ms", "system.os"],
            after.Receipts.Select(c => c.Receipt.Metric).Order());
        Assert.All(after.Receipts, c => Assert.Equal(ReceiptVerdict.Included, c.Verdict));
        Assert.Equal(after.Receipts.Count, after.Receipts.Select(c => c.LeafIndex).Distinct().Count());
        Assert.All(device.Receipts(), r => Assert.Equal(ReceiptStatus.Included, r.Status));
    }

    [StoreFact]
    public async Task Deleting_by_receipt_takes_each_report_off_the_stored_counts_exactly_once()
    {
        using var device = Device(_kit);
        await SendWeekAsync(device, _kit);
        await OthersAsync(3); // three other installations also said linux and 10 launches
        await LogKit.SealAsync(_collector);
        var before = await _collector.Store.ReadRawAsync(TestRegistries.App);
        var mine = device.Receipts();

        var outcomes = await device.DeleteReportsAsync();

        Assert.Equal(mine.Count, outcomes.Count);
        Assert.All(outcomes, o => Assert.Equal("deleted", o.Status));
        var after = await _collector.Store.ReadRawAsync(TestRegistries.App);
        foreach (var row in before)
        {
            int own = mine.Count(r => r.Metric == row.Metric && r.Period == row.Period && r.Value == row.Value);
            var now = after.SingleOrDefault(a => a.Metric == row.Metric && a.Period == row.Period && a.Value == row.Value);
            Assert.Equal(row.Reports - own, now?.Reports ?? 0);
        }
        Assert.Equal(3, after.Single(r => r.Metric == "system.os" && r.Value == "linux").Reports);
        Assert.All(device.Receipts(), r => Assert.Equal(ReceiptStatus.Deleted, r.Status));

        // Again: every receipt is already deleted, and nothing changes.
        var again = await device.DeleteReportsAsync();
        Assert.All(again, o => Assert.Equal("already-deleted", o.Status));
        Assert.Equal(after.OrderBy(r => (r.Metric, r.Period, r.Value)), (await _collector.Store.ReadRawAsync(TestRegistries.App)).OrderBy(r => (r.Metric, r.Period, r.Value)));

        // The deletions join the log in the next epoch, and the device proves them.
        await LogKit.SealAsync(_collector);
        var check = await device.VerifyReportsAsync();
        Assert.Null(check.Alarm);
        Assert.All(check.Receipts, c =>
        {
            Assert.Equal(ReceiptVerdict.Deleted, c.Verdict);
            Assert.NotNull(c.LeafIndex);
        });
    }

    [StoreFact]
    public async Task Scheduled_deletions_leave_one_receipt_per_request_each_at_its_own_random_moment()
    {
        var tap = new WireTap();
        var options = _kit.Options(_collector.BaseAddress, tap);
        options.LogKey = _logKey;
        using var device = CandorClient.Create(options);
        await SendWeekAsync(device, _kit);
        await LogKit.SealAsync(_collector);
        var mine = device.Receipts();
        Assert.True(mine.Count >= 6);

        Assert.Equal(mine.Count, device.ScheduleReportDeletion());
        var sentAt = new List<DateTimeOffset>();
        var start = _kit.Clock.GetUtcNow();
        // Ten-minute steps through the window (three days): each call sends at most the one deletion that is due.
        for (var t = start; t <= start + options.DeletionWindow + TimeSpan.FromMinutes(10); t += TimeSpan.FromMinutes(10))
        {
            _kit.Clock.Set(t);
            while (await device.DeleteNextReceiptIfDueAsync() is { } outcome)
            {
                Assert.Equal("deleted", outcome.Status);
                sentAt.Add(t);
            }
        }
        Assert.Equal(mine.Count, sentAt.Count);
        Assert.All(device.Receipts(), r => Assert.Equal(ReceiptStatus.Deleted, r.Status));
        var deletions = tap.Requests.Select(r => Encoding.UTF8.GetString(r.Body)).Where(b => b.Contains("\"receipts\"")).ToList();
        Assert.Equal(mine.Count, deletions.Count);
        Assert.All(deletions, body => Assert.Equal(1, JsonDocument.Parse(body).RootElement.GetProperty("receipts").GetArrayLength()));
        // Independent moments across the window, not one burst: the control for "one per request" alone.
        Assert.True(sentAt.Max() - sentAt.Min() > TimeSpan.FromHours(6), $"deletions left within {sentAt.Max() - sentAt.Min()}");
        Assert.True(sentAt.Distinct().Count() >= mine.Count - 2, "deletions left together");
        Assert.Null(await device.DeleteNextReceiptIfDueAsync()); // nothing left to send
    }

    [StoreFact]
    public async Task A_receipt_that_matches_no_report_is_not_found_and_changes_nothing()
    {
        using var device = Device(_kit);
        await SendWeekAsync(device, _kit);
        await LogKit.SealAsync(_collector);
        var before = await _collector.Store.ReadRawAsync(TestRegistries.App);
        var os = device.Receipts().Single(r => r.Metric == "system.os");

        // The device's nonce, but claiming another value: the recomputed commitment is in no log.
        var wrongValue = os with { Value = "windows" };
        var options = _kit.Options(_collector.BaseAddress);
        options.Transport = Candor.Client.Transport.TransportMode.Direct;
        using var transport = new Candor.Client.Transport.ClientTransport(options, _collector.BaseAddress, _ => { });
        var answer = await new LogReader(transport).DeleteAsync(TestRegistries.App, [wrongValue], CancellationToken.None);
        Assert.Equal("not-found", Assert.Single(answer.Values));
        var after = await _collector.Store.ReadRawAsync(TestRegistries.App);
        Assert.Equal(before.OrderBy(r => (r.Metric, r.Period, r.Value)), after.OrderBy(r => (r.Metric, r.Period, r.Value)));
        Assert.Equal("deleted", Assert.Single(await device.DeleteReportsAsync([os])).Status);
    }
}
