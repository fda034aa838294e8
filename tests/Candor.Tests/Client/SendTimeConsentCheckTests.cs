using System.Net;
using System.Text;
using Candor.Client;
using Candor.Client.Consent;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Client;

/// <summary>
/// The upload worker's last look before a batch leaves: a report of a metric switched off after its batch
/// was sealed never goes, even when the switch-off could not rewrite the outbox. The state is made the
/// way it happens: the user's answer is saved and then the app dies (or the disk is full) before the
/// pending batch is rewritten, so the consent file says "off" while the outbox still holds the metric.
/// The real collector and the real client store stand behind it; the positive control sends the very
/// same pending batch with the metric still on, and the metric arrives.
/// </summary>
public sealed class SendTimeConsentCheckTests : IDisposable
{
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private readonly ClientTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    /// <summary>Seals a batch (the collector answers 503, so it stays pending), optionally switches system.os off behind the outbox's back, restarts, and uploads.</summary>
    private async Task<(IReadOnlyList<Candor.Collector.Storage.RawRow> Stored, string Wire, CandorClient Client)> SealSwitchRestartAndSendAsync(CollectorHost collector, bool switchOff, bool split)
    {
        var tap = new WireTap { Intercept = _ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) };
        var options = _kit.Options(collector.BaseAddress, tap);
        options.RecordActivity = false;
        options.SplitUploads = split;
        using (var first = CandorClient.Create(options))
        {
            first.GrantConsent();
            ClientTestKit.RecordSomething(first);
            _kit.Clock.Set(NextMonday);
            await first.UploadAsync();
            Assert.Contains(first.Pending(), b => b.Json.Contains("system.os", StringComparison.Ordinal));
        }
        if (switchOff)
        {
            // What DisableMetric had saved when the app died before rewriting the outbox.
            var record = ConsentRecord.Load(_kit.DataDirectory);
            (record with { DisabledMetrics = ["system.os"] }).Save(_kit.DataDirectory);
        }
        tap.Intercept = null;
        int before = tap.Requests.Count;
        _kit.Clock.Advance(TimeSpan.FromDays(2)); // past every retry and every split part's moment
        var client = CandorClient.Create(options);
        Assert.True((await client.UploadAsync()).Sent > 0);
        string wire;
        lock (tap.Requests)
            wire = string.Join("\n", tap.Requests.Skip(before).Select(r => Encoding.UTF8.GetString(r.Body)));
        return (await collector.Store.ReadRawAsync(TestRegistries.App), wire, client);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_report_of_a_metric_switched_off_after_its_batch_was_sealed_is_left_out_just_before_sending(bool split)
    {
        await using var collector = await CollectorHost.StartAsync();
        var (stored, wire, client) = await SealSwitchRestartAndSendAsync(collector, switchOff: true, split);
        using var _ = client;
        Assert.DoesNotContain("system.os", wire);
        Assert.DoesNotContain(stored, r => r.Metric == "system.os");
        Assert.Contains(stored, r => r.Metric == "app.launches"); // the rest of the batch still went
        Assert.Contains(client.Log(), e => e.Message.Contains("switched off after the batch was sealed", StringComparison.Ordinal));
        Assert.DoesNotContain(client.Pending(), b => b.Json.Contains("system.os", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Positive_control_the_same_pending_batch_sends_the_metric_while_it_is_still_on(bool split)
    {
        await using var collector = await CollectorHost.StartAsync();
        var (stored, wire, client) = await SealSwitchRestartAndSendAsync(collector, switchOff: false, split);
        using var _ = client;
        Assert.Contains("system.os", wire);
        Assert.Contains(stored, r => r.Metric == "system.os" && r.Value == "linux");
    }
}
