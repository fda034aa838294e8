using System.Net;
using Candor.Client;
using Candor.Client.LocalStore;
using Candor.Client.Tokens;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.PrivacyPass;

/// <summary>The client's token wallet and handler against a real collector that requires tokens.</summary>
public sealed class ClientTokenTests : IDisposable
{
    private readonly ClientTestKit _kit = new();
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    public void Dispose() => _kit.Dispose();

    private TokenWallet Wallet => new(Path.Combine(_kit.DataDirectory, ClientStore.FileName));

    private CandorClientOptions Options(Uri collector, HttpMessageHandler tap)
    {
        var options = _kit.Options(collector, tap);
        options.PrivateTokens = true;
        return options;
    }

    [Fact]
    public async Task A_client_with_tokens_uploads_to_a_collector_that_requires_them_and_spends_one_token_per_batch()
    {
        await using var collector = await TokenKit.StartAsync();
        var tap = new WireTap();
        using var client = CandorClient.Create(Options(collector.BaseAddress, tap));
        client.GrantConsent();
        Assert.Equal(3, await Wallet.FillAsync(collector.Client, collector.BaseAddress, TestRegistries.App, 3));

        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        var cycle = await client.UploadAsync();
        Assert.Equal(0, cycle.Pending);
        Assert.StartsWith("PrivateToken token=\"", Assert.Single(tap.Requests).Headers["Authorization"]);
        Assert.Equal(2, Wallet.Available);
        Assert.NotEmpty(await collector.Store.ReadRawAsync(TestRegistries.App));
    }

    [Fact]
    public async Task A_retry_after_a_lost_answer_carries_the_same_token_and_counts_once()
    {
        await using var collector = await TokenKit.StartAsync();
        await Wallet.FillAsync(collector.Client, collector.BaseAddress, TestRegistries.App, 5);
        var tap = new WireTap { LoseAnswer = true };
        using (var client = CandorClient.Create(Options(collector.BaseAddress, tap)))
        {
            client.GrantConsent();
            ClientTestKit.RecordSomething(client);
            _kit.Clock.Set(NextMonday);
            Assert.Equal("retrying later", (await client.UploadAsync()).Status);
        }
        _kit.Clock.Advance(TimeSpan.FromDays(2));
        var tap2 = new WireTap();
        using (var restarted = CandorClient.Create(Options(collector.BaseAddress, tap2)))
            Assert.Equal(0, (await restarted.UploadAsync()).Pending);

        Assert.Equal(tap.Requests[0].Headers["Authorization"], tap2.Requests[0].Headers["Authorization"]);
        Assert.All(await collector.Store.ReadRawAsync(TestRegistries.App), r => Assert.Equal(1, r.Reports));
        int batches = tap2.Requests.Select(r => r.Headers["Idempotency-Key"]).Distinct().Count();
        Assert.Equal(batches, tap2.Requests.Select(r => r.Headers["Authorization"]).Distinct().Count()); // one token per batch
        Assert.Equal(5 - batches, Wallet.Available);
        Assert.Equal(batches, await collector.Store.CountSpentTokensAsync());
    }

    [Fact]
    public async Task Refills_happen_at_random_moments_of_their_own_and_only_with_consent()
    {
        await using var collector = await TokenKit.StartAsync();
        var tap = new WireTap();
        bool consent = false;
        var refill = new TokenRefillOptions { Collector = collector.BaseAddress, App = TestRegistries.App, Target = 2, RefillInterval = TimeSpan.FromDays(2) };
        using var handler = new PrivateTokenHandler(tap, Wallet, refill, _kit.Clock, () => consent, new Random(1));

        Assert.Equal(0, await handler.RefillAsync());
        Assert.Empty(tap.Requests); // nothing leaves the device before the user said yes

        consent = true;
        Assert.Equal(2, await handler.RefillAsync());
        Assert.Equal(0, await handler.RefillAsync()); // full: no request at all
        Assert.Equal(2 + 2, tap.Requests.Count); // challenge, directory, then one request per token

        var moments = new HashSet<DateTimeOffset>();
        for (int seed = 0; seed < 5; seed++)
        {
            using var h = new PrivateTokenHandler(tap, Wallet, refill, _kit.Clock, () => true, new Random(seed));
            h.Start();
            Assert.InRange(h.NextRefill!.Value, _kit.Clock.GetUtcNow(), _kit.Clock.GetUtcNow() + refill.RefillInterval);
            moments.Add(h.NextRefill.Value);
            h.StopRefills();
        }
        Assert.Equal(5, moments.Count);
    }

    [Fact]
    public async Task The_wallet_stops_at_the_issuers_budget_and_keeps_what_it_got()
    {
        await using var collector = await TokenKit.StartAsync(budget: 3);
        Assert.Equal(3, await Wallet.FillAsync(collector.Client, collector.BaseAddress, TestRegistries.App, 10));
        Assert.Equal(3, Wallet.Available);
    }

    [Fact]
    public async Task Without_a_token_the_upload_is_refused_and_the_batch_waits_for_one()
    {
        await using var collector = await TokenKit.StartAsync();
        var tap = new WireTap();
        using var client = CandorClient.Create(Options(collector.BaseAddress, tap));
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        var cycle = await client.UploadAsync();
        Assert.False(tap.Requests[0].Headers.ContainsKey("Authorization"));
        Assert.Empty(await collector.Store.ReadRawAsync(TestRegistries.App));
        Assert.Contains(client.Log(), l => l.Message.Contains("401"));
        Assert.True(cycle.Pending > 0, "the refused batch was dropped instead of waiting for a token");

        // Once the wallet has a token, the kept batch goes through.
        await Wallet.FillAsync(collector.Client, collector.BaseAddress, TestRegistries.App, 4);
        _kit.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(0, (await client.UploadAsync()).Pending);
        Assert.NotEmpty(await collector.Store.ReadRawAsync(TestRegistries.App));
    }
}
