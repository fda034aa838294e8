using System.Net;
using System.Text;
using Candor.Client;
using Candor.Client.Consent;
using Candor.Client.Transparency;
using Candor.Tests.Infrastructure;
using Candor.Tests.Transparency;

namespace Candor.Tests.Client;

/// <summary>
/// The user's decisions on a really full disk (a 16 MiB tmpfs filled to the last page) survive a restart
/// before space returns: a "no", a switch-off and an erase are kept in the preallocated decisions file,
/// overwritten in place. Each test has a positive control: the same steps with that file gone (a store
/// created by an older client) bring the old answer back at the next start, and the data leaves.
/// Also: the four calls that give a verdict answer "local store unavailable" on a full disk instead of throwing.
/// </summary>
public sealed class FullDiskDecisionsTests : IDisposable
{
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private readonly ClientTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    private (CandorClientOptions Options, WireTap Tap) OptionsOn(SmallFilesystem fs, CollectorHost collector)
    {
        var tap = new WireTap();
        var options = _kit.Options(collector.BaseAddress, tap);
        options.DataDirectory = Path.Combine(fs.Path, "app");
        options.RecordActivity = false;
        return (options, tap);
    }

    /// <summary>The control's store: made before the decisions file existed, so a full disk cannot create it.</summary>
    private static void WithoutDecisionsFile(CandorClientOptions options, bool control)
    {
        if (control)
            File.Delete(Path.Combine(options.DataDirectory, DecisionsFile.FileName));
        else
            Assert.True(new FileInfo(Path.Combine(options.DataDirectory, DecisionsFile.FileName)).Length >= 16384, "preallocated while the disk had room");
    }

    private static bool Carries(WireTap tap, string metric)
    {
        lock (tap.Requests)
            return tap.Requests.Any(r => Encoding.UTF8.GetString(r.Body).Contains(metric, StringComparison.Ordinal));
    }

    [SmallFilesystemFact]
    public Task A_no_given_on_a_full_disk_survives_a_restart_before_space_returns() => NoAcrossRestart(control: false);

    [SmallFilesystemFact]
    public Task Control_without_the_decisions_file_a_no_given_on_a_full_disk_is_lost_at_restart_and_the_data_leaves() => NoAcrossRestart(control: true);

    private async Task NoAcrossRestart(bool control)
    {
        using var fs = SmallFilesystem.Mount(16);
        await using var collector = await CollectorHost.StartAsync();
        var (options, tap) = OptionsOn(fs, collector);
        using (var first = CandorClient.Create(options))
        {
            first.GrantConsent();
            ClientTestKit.RecordSomething(first);
            first.Flush();
            WithoutDecisionsFile(options, control);
            fs.Fill();
            first.DenyConsent(); // neither consent.json nor the erase can be written
            Assert.False(first.Consent.IsGranted);
        } // the app exits with the disk still full

        using var restarted = CandorClient.Create(options);
        _kit.Clock.Set(NextMonday);
        if (control)
        {
            Assert.True(restarted.Consent.IsGranted); // the old answer came back
            fs.Free(4);
            Assert.Equal(1, (await restarted.UploadAsync()).Sent);
            Assert.Contains(await collector.Store.ReadRawAsync(TestRegistries.App), r => r.Metric == "system.os");
            return;
        }
        Assert.False(restarted.Consent.IsGranted);
        Assert.Equal(ConsentState.Denied, restarted.Consent.State);
        Assert.Equal(ConsentSource.User, restarted.Consent.Source);
        restarted.Counter("app.launches").Increment(); // nothing is recorded
        Assert.Equal(0, (await restarted.UploadAsync()).Sent);
        Assert.Empty(tap.Requests);

        fs.Free(4);
        restarted.Flush(); // saves the answer and erases what was not sent
        Assert.Equal(ConsentState.Denied, ConsentRecord.Load(options.DataDirectory).State);
        Assert.Empty(restarted.Show());
        Assert.Empty(restarted.Pending());
        Assert.Equal(0, (await restarted.UploadAsync()).Sent);
        Assert.Empty(tap.Requests);
        Assert.Empty(await collector.Store.ReadRawAsync(TestRegistries.App));
    }

    /// <summary>A client with this week's batch sealed and pending (the collector answered 503), then closed.</summary>
    private async Task<(CandorClientOptions Options, WireTap Tap)> SealedAndPendingAsync(SmallFilesystem fs, CollectorHost collector)
    {
        var (options, tap) = OptionsOn(fs, collector);
        tap.Intercept = _ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        using var client = CandorClient.Create(options);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        Assert.Equal("retrying later", (await client.UploadAsync()).Status);
        Assert.Contains("system.os", Assert.Single(client.Pending()).Json);
        return (options, tap);
    }

    [SmallFilesystemFact]
    public Task A_metric_switched_off_on_a_full_disk_stays_off_after_a_restart_and_its_sealed_reports_never_leave() => SwitchOffAcrossRestart(control: false);

    [SmallFilesystemFact]
    public Task Control_without_the_decisions_file_a_switch_off_on_a_full_disk_is_lost_at_restart_and_the_metric_leaves() => SwitchOffAcrossRestart(control: true);

    private async Task SwitchOffAcrossRestart(bool control)
    {
        using var fs = SmallFilesystem.Mount(16);
        await using var collector = await CollectorHost.StartAsync();
        var (options, tap) = await SealedAndPendingAsync(fs, collector);
        WithoutDecisionsFile(options, control);
        fs.Fill();
        using (var first = CandorClient.Create(options))
        {
            first.DisableMetric("system.os");
            Assert.Equal(["system.os"], first.Status().DisabledMetrics);
        }

        tap.Intercept = null;
        tap.Requests.Clear();
        using var restarted = CandorClient.Create(options);
        _kit.Clock.Advance(TimeSpan.FromDays(2)); // past the retry
        if (control)
        {
            Assert.Empty(restarted.Status().DisabledMetrics); // the switch is lost
            fs.Free(4);
            Assert.Equal(1, (await restarted.UploadAsync()).Sent);
            Assert.True(Carries(tap, "system.os"));
            return;
        }
        Assert.Equal(["system.os"], restarted.Status().DisabledMetrics);
        Assert.Equal(0, (await restarted.UploadAsync()).Sent); // still full: the owed rewrite keeps the batch back
        Assert.Contains("system.os", Assert.Single(restarted.Pending()).Json); // still on disk: what the file protects against

        fs.Free(4);
        Assert.Equal(1, (await restarted.UploadAsync()).Sent);
        Assert.False(Carries(tap, "system.os"));
        var stored = await collector.Store.ReadRawAsync(TestRegistries.App);
        Assert.Contains(stored, r => r.Metric == "app.launches");
        Assert.DoesNotContain(stored, r => r.Metric == "system.os");
        Assert.Equal(["system.os"], ConsentRecord.Load(options.DataDirectory).DisabledMetrics);
    }

    [SmallFilesystemFact]
    public Task An_erase_on_a_full_disk_is_done_after_a_restart_and_nothing_erased_leaves() => EraseAcrossRestart(control: false);

    [SmallFilesystemFact]
    public Task Control_without_the_decisions_file_an_erase_on_a_full_disk_is_lost_at_restart_and_the_batch_leaves() => EraseAcrossRestart(control: true);

    private async Task EraseAcrossRestart(bool control)
    {
        using var fs = SmallFilesystem.Mount(16);
        await using var collector = await CollectorHost.StartAsync();
        var (options, tap) = await SealedAndPendingAsync(fs, collector);
        WithoutDecisionsFile(options, control);
        fs.Fill();
        using (var first = CandorClient.Create(options))
            first.Erase();

        tap.Intercept = null;
        tap.Requests.Clear();
        using var restarted = CandorClient.Create(options);
        _kit.Clock.Advance(TimeSpan.FromDays(2));
        if (control)
        {
            fs.Free(4);
            Assert.Equal(1, (await restarted.UploadAsync()).Sent); // the erased batch left
            Assert.NotEmpty(await collector.Store.ReadRawAsync(TestRegistries.App));
            return;
        }
        Assert.Equal("local store unavailable", (await restarted.UploadAsync()).Status);
        Assert.Empty(tap.Requests);

        fs.Free(4);
        Assert.Equal(0, (await restarted.UploadAsync()).Sent);
        Assert.Empty(tap.Requests);
        Assert.Empty(restarted.Pending());
        Assert.Empty(restarted.Show());
        Assert.Contains(restarted.Log(), e => e.Message.Contains("erased at the user's request"));
        Assert.Empty(await collector.Store.ReadRawAsync(TestRegistries.App));
    }

    [SmallFilesystemFact]
    public async Task The_calls_that_give_a_verdict_answer_local_store_unavailable_when_a_full_disk_kept_the_store_from_being_created()
    {
        using var fs = SmallFilesystem.Mount(16);
        await using var collector = await CollectorHost.StartAsync();
        fs.Fill();
        var options = _kit.Options(collector.BaseAddress);
        options.DataDirectory = Path.Combine(fs.Path, "never-created");
        using var client = CandorClient.Create(options);
        client.GrantConsent();

        var verification = await client.VerifyReportsAsync();
        Assert.True(verification.LocalStoreUnavailable);
        Assert.Empty(verification.Receipts);
        Assert.Null(verification.Alarm); // not a verdict about the log
        var deletions = await client.DeleteReportsAsync();
        Assert.True(deletions.LocalStoreUnavailable);
        Assert.Empty(deletions);
        var comparison = await client.CompareCheckpointAsync("a checkpoint");
        Assert.True(comparison.LocalStoreUnavailable);
        Assert.Null(comparison.Alarm);
        var standing = await client.CompareAsync("app.launches");
        Assert.True(standing.LocalStoreUnavailable);
        Assert.Null(standing.PublishedPeriod);
    }

    [SmallFilesystemFact]
    public async Task Checks_and_deletions_on_a_full_disk_give_real_verdicts_say_the_store_was_unavailable_and_are_remembered_once_space_returns()
    {
        using var fs = SmallFilesystem.Mount(16);
        await using var collector = await CollectorHost.StartAsync();
        var options = _kit.Options(collector.BaseAddress);
        options.DataDirectory = Path.Combine(fs.Path, "app");
        options.LogKey = (await collector.Client.GetStringAsync("/v1/log/key")).Trim();
        using var client = CandorClient.Create(options);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        client.Flush();
        _kit.Clock.Set(NextMonday);
        Assert.Equal(1, (await client.UploadAsync()).Sent);
        Assert.NotNull(await LogKit.SealAsync(collector));

        fs.Fill();
        var full = await client.VerifyReportsAsync();
        Assert.True(full.LocalStoreUnavailable);
        Assert.NotEmpty(full.Receipts);
        Assert.All(full.Receipts, c => Assert.Equal(ReceiptVerdict.Included, c.Verdict)); // real verdicts
        Assert.All(client.Receipts().Where(r => r.SentAt is not null), r => Assert.Equal(ReceiptStatus.Sent, r.Status)); // not remembered
        var os = client.Receipts().First(r => r.Metric == "system.os");
        var deleted = await client.DeleteReportsAsync([os]);
        Assert.True(deleted.LocalStoreUnavailable);
        Assert.Equal("deleted", Assert.Single(deleted).Status); // the collector's real answer
        Assert.Null(client.Receipts().First(r => r.Metric == "system.os").DeletedAt);

        fs.Free(4);
        var again = await client.VerifyReportsAsync();
        Assert.False(again.LocalStoreUnavailable);
        Assert.Contains(client.Receipts(), r => r.Status == ReceiptStatus.Included);
        var redo = await client.DeleteReportsAsync([os]);
        Assert.False(redo.LocalStoreUnavailable);
        Assert.Equal("already-deleted", Assert.Single(redo).Status);
        Assert.NotNull(client.Receipts().First(r => r.Metric == "system.os").DeletedAt);
    }
}
