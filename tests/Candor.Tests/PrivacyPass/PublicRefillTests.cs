using System.Net;
using Candor.Client;
using Candor.Client.LocalStore;
using Candor.Client.Tokens;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.PrivacyPass;

/// <summary>
/// An app that runs the client without background work (<c>BackgroundWork = false</c>) fills the token
/// wallet itself with <see cref="CandorClient.RefillTokensAsync"/>, against a real collector that
/// requires tokens; refill failures reach the log once per run of failures, not once per attempt.
/// </summary>
public sealed class PublicRefillTests : IDisposable
{
    private readonly ClientTestKit _kit = new();
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    public void Dispose() => _kit.Dispose();

    private TokenWallet Wallet => new(Path.Combine(_kit.DataDirectory, ClientStore.FileName));

    private CandorClient Create(Uri collector, HttpMessageHandler tap)
    {
        var options = _kit.Options(collector, tap);
        options.PrivateTokens = true;
        options.TokenWalletSize = 3;
        Assert.False(options.BackgroundWork);
        return CandorClient.Create(options);
    }

    private static int FailureLines(CandorClient client) => client.Log().Count(l => l.Message.StartsWith("Refilling Privacy Pass tokens failed"));

    [Fact]
    public async Task Without_background_work_the_public_refill_fills_the_wallet_and_the_waiting_batch_is_accepted()
    {
        await using var collector = await TokenKit.StartAsync();
        var tap = new WireTap();
        using var client = Create(collector.BaseAddress, tap);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);

        // Positive control: without a refill the wallet stays empty and the collector refuses the batch.
        var refused = await client.UploadAsync();
        Assert.True(refused.Pending > 0);
        Assert.Equal(0, Wallet.Available);
        Assert.Empty(await collector.Store.ReadRawAsync(TestRegistries.App));

        Assert.Equal(3, await client.RefillTokensAsync());
        Assert.Equal(0, await client.RefillTokensAsync()); // full: nothing asked of anyone
        _kit.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(0, (await client.UploadAsync()).Pending);
        Assert.NotEmpty(await collector.Store.ReadRawAsync(TestRegistries.App));
        Assert.Equal(3 - client.Sent().Count, Wallet.Available); // one token per batch accepted
    }

    [Fact]
    public async Task A_run_of_refill_failures_is_logged_once_and_a_new_run_after_a_success_is_logged_again()
    {
        await using var collector = await TokenKit.StartAsync();
        bool broken = true;
        var tap = new WireTap { Intercept = _ => broken ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) : null };
        using var client = Create(collector.BaseAddress, tap);
        client.GrantConsent();

        for (int i = 0; i < 3; i++)
            await Assert.ThrowsAsync<HttpRequestException>(() => client.RefillTokensAsync());
        Assert.Equal(3, tap.Requests.Count); // three attempts...
        Assert.Equal(1, FailureLines(client)); // ...one line

        broken = false;
        Assert.Equal(3, await client.RefillTokensAsync());
        Assert.Contains(client.Log(), l => l.Message.StartsWith("Privacy Pass token refills work again"));

        // Spend the tokens so the wallet wants more, then fail again: a new run, a new line.
        Wallet.Clear();
        broken = true;
        await Assert.ThrowsAsync<HttpRequestException>(() => client.RefillTokensAsync());
        await Assert.ThrowsAsync<HttpRequestException>(() => client.RefillTokensAsync());
        Assert.Equal(2, FailureLines(client));
    }

    [Fact]
    public async Task An_issuer_that_refuses_every_token_is_a_refill_failure_and_is_logged()
    {
        await using var collector = await TokenKit.StartAsync(budget: 2);
        using var client = Create(collector.BaseAddress, new WireTap());
        client.GrantConsent();

        Assert.Equal(2, await client.RefillTokensAsync()); // the budget, short of the target: not a failure
        Assert.Equal(0, FailureLines(client));
        Assert.Equal(0, await client.RefillTokensAsync()); // 429 for every request
        Assert.Equal(0, await client.RefillTokensAsync());
        var line = Assert.Single(client.Log(), l => l.Message.StartsWith("Refilling Privacy Pass tokens failed"));
        Assert.Contains("429", line.Message);
    }

    [Fact]
    public async Task The_public_refill_says_why_when_tokens_are_off()
    {
        using var client = _kit.Create(new Uri("http://127.0.0.1:9/"));
        client.GrantConsent();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => client.RefillTokensAsync());
        Assert.Contains("PrivateTokens", e.Message);
    }
}
