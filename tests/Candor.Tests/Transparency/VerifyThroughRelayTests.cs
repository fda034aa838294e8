using System.Text;
using Candor.Client;
using Candor.Client.Transparency;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;
using Candor.Tests.Ohttp;

namespace Candor.Tests.Transparency;

/// <summary>
/// Checking and deleting reports over the <c>ohttp</c> transport: the lookups and the deletion travel
/// sealed through the relay, like the reports, so the relay sees no commitment or nonce and the
/// collector never sees the device's connection.
/// </summary>
public sealed class VerifyThroughRelayTests : IAsyncLifetime
{
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private readonly ClientTestKit _kit = new();
    private OhttpChain _chain = null!;

    public async Task InitializeAsync() => _chain = await OhttpChain.StartAsync();

    public async Task DisposeAsync()
    {
        await _chain.DisposeAsync();
        _kit.Dispose();
    }

    [Fact]
    public async Task Lookups_and_deletions_travel_sealed_through_the_relay()
    {
        var toRelay = new WireTap();
        var options = _chain.ClientOptions(_kit, toRelay);
        options.LogKey = (await _chain.Collector.Client.GetStringAsync("/v1/log/key")).Trim();
        using var client = CandorClient.Create(options);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        // With the ohttp transport, uploads are split: each report leaves in its own request.
        for (int i = 0; i < 10 && (i == 0 || client.Pending().Count > 0); i++)
        {
            await client.UploadAsync();
            _kit.Clock.Advance(TimeSpan.FromHours(1));
        }
        Assert.Empty(client.Pending());
        Assert.All(client.Receipts(), r => Assert.Equal(ReceiptStatus.Sent, r.Status));
        await LogKit.SealAsync(_chain.Collector);
        int uploads = toRelay.Requests.Count;

        var result = await client.VerifyReportsAsync();
        Assert.Null(result.Alarm);
        Assert.All(result.Receipts, c => Assert.Equal(ReceiptVerdict.Included, c.Verdict));
        Assert.Contains("through the Oblivious HTTP relay", result.Disclosure);
        var deletions = await client.DeleteReportsAsync();
        Assert.All(deletions, d => Assert.Equal("deleted", d.Status));

        // Every lookup went to the relay (none to the collector's address), and no commitment, nonce or path shows in its bytes.
        Assert.True(toRelay.Requests.Count > uploads + result.Receipts.Count);
        Assert.All(toRelay.Uris, u => Assert.Equal(_chain.RelayUrl.Authority, u.Authority));
        var relayBytes = toRelay.Requests.Concat(_chain.RelayToGateway.Requests).Select(r => Encoding.Latin1.GetString(r.Body)).ToList();
        foreach (var r in client.Receipts())
        {
            Assert.DoesNotContain(relayBytes, b => b.Contains(r.Commitment, StringComparison.Ordinal));
            Assert.DoesNotContain(relayBytes, b => b.Contains(r.Nonce, StringComparison.Ordinal));
        }
        Assert.DoesNotContain(relayBytes, b => b.Contains("/v1/log/", StringComparison.Ordinal));
    }
}
