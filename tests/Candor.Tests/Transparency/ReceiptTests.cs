using System.Text;
using System.Text.Json;
using Candor.Client;
using Candor.Client.Transparency;
using Candor.Registry;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;
using Candor.Transparency;

namespace Candor.Tests.Transparency;

/// <summary>The client's side of commitments: what it sends, the receipts it keeps, and how consent and erasing treat them.</summary>
public sealed class ReceiptTests : IDisposable
{
    private readonly ClientTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    /// <summary>The test registry with randomised (local_privacy) enum, flag and counter.</summary>
    private static MetricRegistry Noisy => RegistryParser.Parse(TestRegistries.V1
        .Replace("    values: [linux, windows, macos, other]", "    values: [linux, windows, macos, other]\n    local_privacy: { epsilon: 1 }")
        .Replace("    expires: 2027-12-31", "    expires: 2027-12-31\n    local_privacy: { epsilon: 1 }")
        .Replace("    buckets: [1, 2, 5, 10, 20, 50, 100]", "    buckets: [1, 2, 5, 10, 20, 50, 100]\n    local_privacy: { epsilon: 1 }"), "noisy.yaml");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_report_commits_to_exactly_the_value_the_collector_stores(bool randomised)
    {
        await using var collector = await CollectorHost.StartAsync();
        var tap = new WireTap();
        using var client = _kit.Create(collector.BaseAddress, tap, randomised ? Noisy : null);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client); // counter, enum, flag, log10 quantity, histogram
        client.Flush(); // marks the per-day candor.active
        _kit.Clock.Set(NextMonday);
        Assert.Equal(1, (await client.UploadAsync()).Sent);

        var receipts = client.Receipts();
        var stored = await collector.Store.ReadRawAsync(TestRegistries.App);
        // One receipt per stored row, describing it exactly (the canonical value text included).
        Assert.Equal(stored.Select(r => (r.Metric, r.Period, r.Value)).Order(), receipts.Select(r => (r.Metric, r.Period, r.Value)).Order());
        Assert.Contains(receipts, r => r.Metric == "candor.active" && r.Period == "2026-11-18");
        Assert.Contains(receipts, r => r.Metric == "startup.ms" && r.Value == "{\"100\":2,\"250\":1}");
        using var sent = JsonDocument.Parse(tap.Requests[0].Body);
        var wire = sent.RootElement.GetProperty("reports").EnumerateArray().ToDictionary(r => r.GetProperty("commitment").GetString()!, r => r.GetProperty("metric").GetString());
        foreach (var r in receipts)
        {
            Assert.Equal(ReceiptStatus.Sent, r.Status);
            Assert.Equal(TestRegistries.App, r.App);
            Assert.True(ReportCommitment.TryDecode(r.Nonce, out var nonce));
            // Anyone holding the receipt recomputes the commitment that went on the wire with the report.
            Assert.Equal(r.Commitment, ReportCommitment.Encode(ReportCommitment.Compute(nonce, r.App, r.Metric, r.Period, r.Value)));
            Assert.Equal(r.Metric, wire[r.Commitment]);
            Assert.DoesNotContain(r.Nonce, Encoding.UTF8.GetString(tap.Requests[0].Body));
        }
        Assert.Equal(receipts.Count, receipts.Select(r => r.Nonce).Distinct().Count());
    }

    [Fact]
    public async Task A_retried_batch_carries_the_same_commitments_and_its_receipts_count_once()
    {
        await using var collector = await CollectorHost.StartAsync();
        var lost = new WireTap { LoseAnswer = true };
        using (var client = _kit.Create(collector.BaseAddress, lost))
        {
            client.GrantConsent();
            ClientTestKit.RecordSomething(client);
            _kit.Clock.Set(NextMonday);
            Assert.Equal("retrying later", (await client.UploadAsync()).Status);
            Assert.All(client.Receipts(), r => Assert.Equal(ReceiptStatus.Unsent, r.Status));
        }
        _kit.Clock.Advance(TimeSpan.FromDays(2));
        var tap = new WireTap();
        using var restarted = _kit.Create(collector.BaseAddress, tap);
        Assert.True((await restarted.UploadAsync()).Sent >= 1);

        Assert.Equal(lost.Requests[0].Body, tap.Requests[0].Body);
        var first = ReceiptBook.CommitmentsIn(lost.Requests[0].Body);
        var receipts = restarted.Receipts().Where(r => first.Contains(r.Commitment)).ToList();
        Assert.Equal(first.Count, receipts.Count);
        Assert.All(receipts, r => Assert.Equal(ReceiptStatus.Sent, r.Status));
        Assert.All(await collector.Store.ReadRawAsync(TestRegistries.App), r => Assert.Equal(1, r.Reports));
    }

    [Fact]
    public async Task With_commitments_switched_off_reports_carry_none_and_no_receipt_is_kept()
    {
        await using var collector = await CollectorHost.StartAsync();
        var tap = new WireTap();
        var options = _kit.Options(collector.BaseAddress, tap);
        options.ReportCommitments = false;
        using var client = CandorClient.Create(options);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        Assert.Equal(1, (await client.UploadAsync()).Sent);

        Assert.DoesNotContain("commitment", Encoding.UTF8.GetString(tap.Requests[0].Body));
        Assert.Empty(client.Receipts());
        Assert.NotEmpty(await collector.Store.ReadRawAsync(TestRegistries.App));
    }

    [Fact]
    public async Task Revoking_consent_erases_receipts_of_unsent_reports_and_keeps_those_of_sent_ones()
    {
        await using var collector = await CollectorHost.StartAsync();
        using var client = _kit.Create(collector.BaseAddress);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        Assert.Equal(1, (await client.UploadAsync()).Sent);
        var sent = client.Receipts().Select(r => r.Commitment).ToList();

        // A second week is sealed but the collector is gone before it leaves.
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Advance(TimeSpan.FromDays(14)); // past the collector's hint and the jitter
        await collector.App.StopAsync();
        Assert.Equal("retrying later", (await client.UploadAsync()).Status);
        Assert.Contains(client.Receipts(), r => r.Status == ReceiptStatus.Unsent);

        client.DenyConsent();

        // What never left is gone with its receipts; what left can still be checked and deleted.
        Assert.Equal(sent.Order(), client.Receipts().Select(r => r.Commitment).Order());
        Assert.All(client.Receipts(), r => Assert.Equal(ReceiptStatus.Sent, r.Status));
    }

    [Fact]
    public async Task Receipts_are_in_the_users_export_and_go_when_the_user_erases_everything()
    {
        await using var collector = await CollectorHost.StartAsync();
        using var client = _kit.Create(collector.BaseAddress);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        await client.UploadAsync();
        var receipt = client.Receipts().First(r => r.Metric == "system.os");

        using (var json = JsonDocument.Parse(client.Export(ExportFormat.Json)))
        {
            var exported = json.RootElement.GetProperty("receipts").EnumerateArray().Single(r => r.GetProperty("commitment").GetString() == receipt.Commitment);
            Assert.Equal(receipt.Nonce, exported.GetProperty("nonce").GetString());
            Assert.Equal("linux", exported.GetProperty("value").GetString());
            Assert.Equal("sent", exported.GetProperty("status").GetString());
        }
        Assert.Contains($"receipt,system.os,2026-W47,sent {receipt.Commitment} {receipt.Nonce},linux", client.Export(ExportFormat.Csv).Split('\n'));

        client.Erase();
        Assert.Empty(client.Receipts());
    }

    [Fact]
    public async Task Switching_a_category_off_drops_the_receipts_of_the_pending_reports_it_removes()
    {
        using var client = _kit.Create(new Uri("http://127.0.0.1:9/"));
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        await client.UploadAsync(); // nobody listens: sealed, kept pending
        var before = client.Receipts();
        Assert.Contains(before, r => r.Metric == "startup.ms");

        client.DisableCategory("performance");

        var after = client.Receipts();
        Assert.DoesNotContain(after, r => r.Metric == "startup.ms");
        Assert.Equal(before.Count - 1, after.Count);
        // The reports kept keep their commitments: the rewritten batch still matches its receipts.
        var pending = Encoding.UTF8.GetString(Assert.Single(client.Pending()).Body);
        Assert.All(after, r => Assert.Contains(r.Commitment, pending));
    }

    [Fact]
    public async Task A_batch_refused_for_good_takes_its_receipts_with_it()
    {
        await using var collector = await CollectorHost.StartAsync();
        var tap = new WireTap
        {
            Intercept = _ => new System.Net.Http.HttpResponseMessage(System.Net.HttpStatusCode.BadRequest)
            {
                Content = new System.Net.Http.StringContent("{\"type\":\"urn:candor:problem:invalid-reports\",\"status\":400}", Encoding.UTF8, "application/problem+json"),
            },
        };
        using var client = _kit.Create(collector.BaseAddress, tap);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        var cycle = await client.UploadAsync();

        Assert.Equal(1, cycle.Dropped);
        Assert.Empty(client.Receipts()); // never sent, never to be checked or deleted
    }

    [Fact]
    public async Task Receipts_are_forgotten_once_the_collector_no_longer_keeps_their_period()
    {
        await using var collector = await CollectorHost.StartAsync();
        using var client = _kit.Create(collector.BaseAddress);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        await client.UploadAsync();
        Assert.Contains(client.Receipts(), r => r.Period == "2026-W47");

        _kit.Clock.Advance(TimeSpan.FromDays(89));
        await client.UploadAsync();
        Assert.Contains(client.Receipts(), r => r.Period == "2026-W47"); // 2026-W47 ended 90 days ago only tomorrow

        _kit.Clock.Advance(TimeSpan.FromDays(2));
        await client.UploadAsync();
        Assert.DoesNotContain(client.Receipts(), r => r.Period == "2026-W47" || r.Period == "2026-11-18");
    }

    [Fact]
    public async Task With_split_uploads_each_receipt_is_marked_sent_when_its_own_part_is_accepted()
    {
        await using var collector = await CollectorHost.StartAsync();
        var tap = new WireTap();
        var options = _kit.Options(collector.BaseAddress, tap);
        options.SplitUploads = true;
        options.RecordActivity = false; // the collector's clock stands still: no new days to send
        options.FirstUploadDelayMin = TimeSpan.FromDays(3);
        options.FirstUploadDelayMax = TimeSpan.FromDays(10);
        using var client = CandorClient.Create(options);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        await client.UploadAsync(); // sealed and split; no part is due yet
        var receipts = client.Receipts();
        Assert.Equal(client.Pending().Count, receipts.Count);

        bool sawSome = false;
        for (int hour = 0; hour < 24 * 12 && client.Pending().Count > 0; hour++)
        {
            _kit.Clock.Advance(TimeSpan.FromHours(1));
            await client.UploadAsync();
            var now = client.Receipts();
            sawSome |= now.Any(r => r.Status == ReceiptStatus.Sent) && now.Any(r => r.Status == ReceiptStatus.Unsent);
            // Exactly the reports that left are marked sent: each part is one report, with its commitment.
            var left = tap.Requests.SelectMany(r => ReceiptBook.CommitmentsIn(r.Body)).ToHashSet();
            Assert.Equal(left.Order(), now.Where(r => r.Status == ReceiptStatus.Sent).Select(r => r.Commitment).Order());
        }
        Assert.True(sawSome, "the parts left at different moments");
        Assert.Empty(client.Pending());
        Assert.All(tap.Requests, r => Assert.Single(ReceiptBook.CommitmentsIn(r.Body)));
        Assert.Equal(receipts.Select(r => r.Commitment).Order(), client.Receipts().Select(r => r.Commitment).Order());
    }
}
