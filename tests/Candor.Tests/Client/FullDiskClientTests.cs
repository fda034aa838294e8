using System.Net;
using System.Text;
using Candor.Client;
using Candor.Client.Consent;
using Candor.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Candor.Tests.Client;

/// <summary>
/// The client on a really full disk (a small tmpfs filled to the last page): no public call throws into
/// the app (before, <c>Create</c>, <c>Flush</c> and <c>UploadAsync</c> threw SqliteException), the fault
/// is logged once for the whole episode, what is recorded meanwhile waits in memory, and once space
/// returns it is written and uploaded with nothing lost.
/// </summary>
public sealed class FullDiskClientTests : IDisposable
{
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private readonly ClientTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    [SmallFilesystemFact]
    public async Task On_a_full_disk_no_call_throws_the_fault_is_logged_once_and_everything_recorded_is_sent_when_space_returns()
    {
        using var fs = SmallFilesystem.Mount(16);
        await using var collector = await CollectorHost.StartAsync();
        var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        CandorClientOptions Options(string folder)
        {
            var o = _kit.Options(collector.BaseAddress);
            o.DataDirectory = Path.Combine(fs.Path, folder);
            return o;
        }

        using var client = CandorClient.Create(Options("app"), loggers.CreateLogger("app"));
        client.GrantConsent();
        client.Counter("app.launches").Increment();
        client.Flush();

        fs.Fill();
        // Every public call an app makes while the disk is full: none throws.
        for (int i = 0; i < 6; i++)
        {
            client.Counter("app.launches").Increment();
            client.Enum("system.os").Set("linux");
            client.Flush();
            await client.FlushAsync();
            Assert.NotNull(await client.UploadAsync());
            client.Status();
            client.Show();
        }
        // A second app starting on the full disk, with a data directory it cannot even create.
        using (var starting = CandorClient.Create(Options("starting"), loggers.CreateLogger("starting")))
        {
            starting.GrantConsent();
            starting.Counter("app.launches").Increment();
            starting.Flush();
            Assert.Equal("local store unavailable", (await starting.UploadAsync()).Status);
        }
        var warnings = logs.Lines.Where(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("cannot be written")).ToList();
        Assert.True(warnings.Count == 2, "one warning per client for the whole episode:\n" + string.Join("\n", logs.Lines));

        fs.Free(4);
        client.Flush();
        Assert.Contains(logs.Lines, l => l.Contains("can be written again"));
        Assert.Contains(client.Log(), e => e.Message.Contains("can be written again"));
        var launches = Assert.Single(client.Show(), i => i.Metric == "app.launches");
        Assert.Contains("7", launches.Summary); // 1 before the disk filled + 6 while it was full: none lost

        _kit.Clock.Set(NextMonday);
        var cycle = await client.UploadAsync();
        Assert.Equal(1, cycle.Sent);
        Assert.Contains(await collector.Store.ReadRawAsync(TestRegistries.App), r => r.Metric == "system.os" && r.Value == "linux");
    }

    [SmallFilesystemFact]
    public void A_no_on_a_full_disk_holds_at_once_and_erases_the_unsent_data_once_space_returns()
    {
        using var fs = SmallFilesystem.Mount(16);
        var options = _kit.Options();
        options.DataDirectory = Path.Combine(fs.Path, "app");
        using var client = CandorClient.Create(options);
        client.GrantConsent();
        client.Counter("app.launches").Increment();
        client.Flush();
        Assert.NotEmpty(client.Show());

        fs.Fill();
        client.Counter("app.launches").Increment();
        client.Flush(); // waits in memory
        client.DenyConsent(); // the answer cannot be saved: it holds in memory
        Assert.False(client.Consent.IsGranted);
        client.Counter("app.launches").Increment();
        client.Flush();
        Assert.False(client.Consent.IsGranted);

        fs.Free(4);
        client.Flush(); // saves the answer, erases what was kept
        Assert.False(client.Consent.IsGranted);
        Assert.Empty(client.Show());
        Assert.Equal(Candor.Client.Consent.ConsentState.Denied, Candor.Client.Consent.ConsentRecord.Load(options.DataDirectory).State); // saved now
    }

    /// <summary>A client on the small filesystem with one batch sealed and pending (the collector answered 503), holding every metric of the week.</summary>
    private async Task<(CandorClient Client, WireTap Tap, CandorClientOptions Options)> SealedAndPendingAsync(SmallFilesystem fs, CollectorHost collector)
    {
        var tap = new WireTap { Intercept = _ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) };
        var options = _kit.Options(collector.BaseAddress, tap);
        options.DataDirectory = Path.Combine(fs.Path, "app");
        options.RecordActivity = false;
        var client = CandorClient.Create(options);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        Assert.Equal("retrying later", (await client.UploadAsync()).Status);
        Assert.Contains("system.os", Assert.Single(client.Pending()).Json);
        return (client, tap, options);
    }

    private static bool Carries(WireTap tap, int from, string metric)
    {
        lock (tap.Requests)
            return tap.Requests.Skip(from).Any(r => Encoding.UTF8.GetString(r.Body).Contains(metric, StringComparison.Ordinal));
    }

    [SmallFilesystemFact]
    public async Task A_metric_switched_off_on_a_full_disk_holds_at_once_and_its_sealed_reports_never_leave()
    {
        using var fs = SmallFilesystem.Mount(16);
        await using var collector = await CollectorHost.StartAsync();
        var (client, tap, options) = await SealedAndPendingAsync(fs, collector);
        using var _ = client;

        fs.Fill();
        client.DisableMetric("system.os"); // neither the answer nor the outbox rewrite can be written: must not throw
        client.DisableCategory("performance");
        await client.DisableMetricAsync("feature.spellcheck");
        Assert.Equal(["system.os", "feature.spellcheck"], client.Status().DisabledMetrics); // the switch holds in memory
        // Positive control: the switched-off reports are still on disk, sealed into the batch that leaves next;
        // without a check at send time they would go with it.
        var pending = Assert.Single(client.Pending()).Json;
        Assert.Contains("system.os", pending);
        Assert.Contains("startup.ms", pending);

        tap.Intercept = null;
        _kit.Clock.Advance(TimeSpan.FromDays(2)); // past the retry
        int before = tap.Requests.Count;
        Assert.Equal(0, (await client.UploadAsync()).Sent); // still full: the owed rewrite keeps everything back
        Assert.False(Carries(tap, before, "system.os"));

        fs.Free(4);
        var cycle = await client.UploadAsync();
        Assert.Equal(1, cycle.Sent);
        Assert.False(Carries(tap, before, "system.os"));
        Assert.False(Carries(tap, before, "startup.ms"));
        Assert.False(Carries(tap, before, "feature.spellcheck"));
        var stored = await collector.Store.ReadRawAsync(TestRegistries.App);
        Assert.Contains(stored, r => r.Metric == "app.launches");
        Assert.DoesNotContain(stored, r => r.Metric is "system.os" or "startup.ms" or "feature.spellcheck");
        var saved = ConsentRecord.Load(options.DataDirectory); // saved once the disk had room
        Assert.Equal(["system.os", "feature.spellcheck"], saved.DisabledMetrics);
        Assert.Equal(["performance"], saved.DisabledCategories);
    }

    [SmallFilesystemFact]
    public async Task Erasing_on_a_full_disk_does_not_throw_and_nothing_erased_leaves_once_space_returns()
    {
        using var fs = SmallFilesystem.Mount(16);
        await using var collector = await CollectorHost.StartAsync();
        var (client, tap, _) = await SealedAndPendingAsync(fs, collector);
        using var __ = client;
        client.Counter("app.launches").Increment();
        client.Flush();

        fs.Fill();
        client.Counter("app.launches").Increment();
        client.Flush(); // waits in memory
        client.Erase(); // the delete cannot be written: must not throw
        await client.EraseAsync();
        // Positive control: the erased batch is still on disk, ready to leave.
        Assert.Contains("system.os", Assert.Single(client.Pending()).Json);

        tap.Intercept = null;
        _kit.Clock.Advance(TimeSpan.FromDays(2));
        int before = tap.Requests.Count;
        Assert.Equal("local store unavailable", (await client.UploadAsync()).Status);
        Assert.Equal(before, tap.Requests.Count); // nothing went out while the erase was owed

        fs.Free(4);
        var cycle = await client.UploadAsync();
        Assert.Equal(0, cycle.Sent);
        Assert.Equal(before, tap.Requests.Count);
        Assert.Empty(client.Pending());
        Assert.Empty(client.Show()); // the increment that waited in memory was erased too
        Assert.Empty(await collector.Store.ReadRawAsync(TestRegistries.App));
        Assert.Contains(client.Log(), e => e.Message.Contains("erased at the user's request"));
    }

    [SmallFilesystemFact]
    public async Task Every_public_call_answers_without_throwing_when_a_full_disk_kept_the_store_from_being_created()
    {
        using var fs = SmallFilesystem.Mount(16);
        await using var collector = await CollectorHost.StartAsync();
        fs.Fill();
        var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var options = _kit.Options(collector.BaseAddress);
        options.DataDirectory = Path.Combine(fs.Path, "never-created");
        options.PrivateTokens = true; // the token wallet lives in the same store
        options.TokenIssuer = collector.BaseAddress;
        using var client = CandorClient.Create(options, loggers.CreateLogger("app"));

        client.GrantConsent();
        client.Counter("app.launches").Increment();
        client.Flush();
        var status = client.Status();
        Assert.True(status.Consent.IsGranted);
        Assert.Equal(0, status.PendingBatches);
        Assert.Empty(client.Show());
        Assert.Null(client.Preview());
        Assert.Empty(client.Pending());
        Assert.Empty(client.Sent());
        Assert.Empty(client.Log());
        Assert.Empty(client.Receipts());
        Assert.Contains("\"collected\"", client.Export(ExportFormat.Json));
        Assert.NotNull(await client.ExportAsync(ExportFormat.Csv));
        Assert.Equal(0, client.ScheduleReportDeletion());
        Assert.Equal(0, await client.RefillTokensAsync());
        Assert.Null(await client.VerifyNextReceiptIfDueAsync());
        Assert.Null(await client.DeleteNextReceiptIfDueAsync());
        client.DisableMetric("system.os");
        client.DisableCategory("performance");
        client.EnableMetric("system.os");
        client.Erase();
        Assert.Equal("local store unavailable", (await client.UploadAsync()).Status);
        client.DenyConsent();
        Assert.False(client.Consent.IsGranted);

        var warnings = logs.Lines.Where(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("cannot be written")).ToList();
        Assert.True(warnings.Count == 1, "one warning for the whole episode:\n" + string.Join("\n", logs.Lines));
    }

    [SmallFilesystemFact]
    public async Task Background_token_refills_keep_their_schedule_through_a_full_disk_and_say_so_once()
    {
        using var fs = SmallFilesystem.Mount(16);
        await using var collector = await CollectorHost.StartAsync();
        fs.Fill();
        var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var options = _kit.Options(collector.BaseAddress);
        options.DataDirectory = Path.Combine(fs.Path, "never-created");
        options.PrivateTokens = true;
        options.TokenIssuer = collector.BaseAddress;
        options.BackgroundWork = true;
        options.TokenRefillInterval = TimeSpan.FromMilliseconds(200); // real timers: a refill every 100 ms on average
        await using var client = CandorClient.Create(options, loggers.CreateLogger("app"));
        client.GrantConsent();

        static bool RefillFailed(string line) => line.Contains("Refilling Privacy Pass tokens failed", StringComparison.Ordinal);
        for (int i = 0; i < 200 && !logs.Lines.Any(RefillFailed); i++)
            await Task.Delay(50);
        Assert.Contains(logs.Lines, l => RefillFailed(l) && l.Contains("cannot be written", StringComparison.Ordinal));
        // Before, the wallet's storage error escaped the timer callback and no next refill was ever drawn.
        var moments = new HashSet<DateTimeOffset>();
        for (int i = 0; i < 200 && moments.Count < 4; i++)
        {
            if (client.TokenHandler!.NextRefill is { } next)
                moments.Add(next);
            await Task.Delay(25);
        }
        Assert.True(moments.Count >= 4, $"the refill schedule stopped after the storage fault ({moments.Count} moment(s) seen)");
        Assert.Single(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && RefillFailed(l)); // once for the whole run of failures
    }
}

