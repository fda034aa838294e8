using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Candor.Client;
using Candor.Client.Transport;
using Candor.Collector.PrivacyPass;
using Candor.PrivacyPass;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;
using Candor.Tests.Ohttp;

namespace Candor.Tests.PrivacyPass;

/// <summary>
/// Privacy Pass over Oblivious HTTP, through the real chain (client library, <c>candor relay</c>, the
/// collector's gateway on SQLite) with tokens required: the token travels sealed inside the request, and
/// refills go to the issuer from the device, never through the relay.
/// </summary>
public sealed class TokensThroughRelayTests : IAsyncLifetime
{
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private readonly ClientTestKit _kit = new();
    private OhttpChain _chain = null!;

    public async Task InitializeAsync() => _chain = await OhttpChain.StartAsync(o =>
    {
        o.PrivacyPass.KeyDirectory = TokenKit.KeyFolderWithSharedKey();
        o.PrivacyPass.Issuer = true;
        o.PrivacyPass.DefaultMode = TokenMode.Required;
    });

    public async Task DisposeAsync()
    {
        await _chain.DisposeAsync();
        _kit.Dispose();
    }

    private static bool Holds(byte[] bytes, string needle) => Encoding.Latin1.GetString(bytes).Contains(needle, StringComparison.Ordinal);

    /// <summary>An HTTP client whose requests are sealed and posted to the relay, as the client library sends them.</summary>
    private HttpClient Sealed(HttpMessageHandler toRelay) =>
        new(new ObliviousHttpHandler(new OhttpTransportOptions { Relay = _chain.RelayUrl, KeyConfigs = _chain.ShippedKeys }, toRelay, disposeInner: true))
        { BaseAddress = OhttpChain.CollectorUrl };

    private static HttpRequestMessage Batch(string? authorization, string idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"v1/apps/{TestRegistries.App}/reports") { Content = new StringContent(TestRegistries.FullBatch) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        if (authorization is not null)
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return request;
    }

    [Fact]
    public async Task Uploads_with_tokens_are_accepted_through_the_relay_which_never_sees_a_token_and_refills_reach_the_issuer_directly()
    {
        var tap = new WireTap(); // the device's network: to the relay, and to the issuer
        var options = _chain.ClientOptions(_kit, tap);
        options.PrivateTokens = true;
        options.TokenIssuer = _chain.Collector.BaseAddress;
        options.TokenWalletSize = 6; // one token per report with split uploads
        using var client = CandorClient.Create(options);
        client.GrantConsent();

        Assert.Equal(6, await client.TokenHandler!.RefillAsync());
        var issuer = _chain.Collector.BaseAddress.Authority;
        Assert.Equal(6, tap.Uris.Count(u => u.Authority == issuer)); // one blinded request per token, nothing else
        Assert.All(tap.Uris.Where(u => u.Authority == issuer), u => Assert.Equal(IssuerEndpoints.RequestPathDefault, u.AbsolutePath));
        // The issuer directory came from the relay's shared copy (the consistency route), in the clear: it is the same for everyone.
        Assert.Contains(tap.Uris, u => u.Authority == _chain.RelayUrl.Authority && u.AbsolutePath == IssuerEndpoints.DirectoryPath);
        Assert.Equal(1, _chain.SealedRequestsForwarded); // only the challenge went through the relay (sealed)

        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);
        var cycle = await client.UploadAsync();
        Assert.Equal(5, cycle.Sent);
        Assert.Equal(0, cycle.Pending);
        Assert.Contains(await _chain.Collector.Store.ReadRawAsync(TestRegistries.App), r => r.Metric == "system.os");
        Assert.Equal(5, await _chain.Collector.Store.CountSpentTokensAsync());

        // The relay saw sealed bytes only: no Authorization header on either of its hops, no token in any byte or log line.
        var toRelay = tap.Requests.Where((r, i) => tap.Uris[i].Authority == _chain.RelayUrl.Authority).ToList();
        Assert.NotEmpty(toRelay);
        foreach (var (body, headers) in toRelay.Concat(_chain.RelayToGateway.Requests))
        {
            Assert.False(headers.ContainsKey("Authorization"));
            Assert.False(Holds(body, "PrivateToken"));
        }
        Assert.DoesNotContain(_chain.RelayLogs.Lines, l => l.Contains("PrivateToken", StringComparison.Ordinal));
        // Nothing of the refill reached the relay in the clear either: it forwarded no issuer request.
        Assert.DoesNotContain(_chain.RelayToGateway.Uris, u => u.AbsolutePath == IssuerEndpoints.RequestPathDefault);
    }

    [Fact]
    public async Task Through_the_relay_a_batch_without_a_token_and_a_spent_token_are_refused_with_precise_problems_sealed_inside()
    {
        var tap = new WireTap();
        using var http = Sealed(tap);

        var missing = await http.SendAsync(Batch(null, "no-token"));
        await Problem.AssertAsync(missing, HttpStatusCode.Unauthorized, "token-required");
        Assert.NotEmpty(missing.Headers.WwwAuthenticate); // the challenge comes back sealed too
        Assert.Empty(await _chain.Collector.Store.ReadRawAsync(TestRegistries.App));

        var token = await TokenKit.FetchAsync(_chain.Collector.Client);
        var first = await http.SendAsync(Batch(PrivateTokenHeader.Authorization(token), "first"));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var stored = (await _chain.Collector.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports);
        Assert.True(stored > 0);

        var again = await http.SendAsync(Batch(PrivateTokenHeader.Authorization(token), "second"));
        await Problem.AssertAsync(again, HttpStatusCode.Forbidden, "token-spent");
        Assert.Equal(stored, (await _chain.Collector.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports));

        // The token crossed the relay sealed: on neither hop as a header, in no byte.
        Assert.All(tap.Requests.Concat(_chain.RelayToGateway.Requests), r =>
        {
            Assert.False(r.Headers.ContainsKey("Authorization"));
            Assert.False(Holds(r.Body, "PrivateToken"));
        });
    }
}
