using System.Net;
using System.Text.Json;
using Candor.Cli.Relay;
using Candor.Client.Tokens;
using Candor.Client.Transport;
using Candor.Hpke;
using Candor.Ohttp;
using Candor.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Tests.Ohttp;

/// <summary>
/// The failure modes of key consistency one at a time: each rule of <see cref="GatewayKeyConsistency"/>
/// and <see cref="TokenKeyConsistency"/> on real key configurations, and the relay's key cache with an
/// upstream that fails.
/// </summary>
public sealed class KeyConsistencyRulesTests
{
    private static readonly KemId Kem = X25519.IsSupported ? KemId.X25519Sha256 : KemId.P256Sha256;

    private static OhttpKeyConfig Key(byte id) => OhttpGatewayKey.Generate(id, Kem).Config;

    [Fact]
    public void A_served_set_that_is_exactly_a_trusted_set_gives_its_key_and_every_rule_refuses_its_own_attack()
    {
        OhttpKeyConfig k1 = Key(1), k3 = Key(3), k5 = Key(5), k7 = Key(7);
        Assert.Equal(1, GatewayKeyConsistency.Choose([k1], [], [k1], []).Key!.KeyId);
        Assert.Equal(3, GatewayKeyConsistency.Choose([k1], [k1, k3], [k3], []).Key!.KeyId); // an announced rotation

        // 1: two current keys of one suite.
        Assert.Contains("keys at once", GatewayKeyConsistency.Choose([k1], [k1, k3], [k1, k3], []).Refusal);
        // 2: an announcement vouching for three keys of one suite.
        Assert.Contains("vouches for 3", GatewayKeyConsistency.Choose([k1], [k1, k3, k5], [k3], []).Refusal);
        // 3: a served key neither shipped nor announced, with and without an announcement held.
        Assert.Contains("Two different gateway key sets", GatewayKeyConsistency.Choose([k1], [k1, k3], [k5], []).Refusal);
        Assert.Contains("differs from the one shipped", GatewayKeyConsistency.Choose([k1], [], [k7], []).Refusal);
        // 4: a replaced key served again.
        Assert.Contains("served again", GatewayKeyConsistency.Choose([k1], [k1, k3], [k1], [k1]).Refusal);
    }

    private static JsonElement Directory(params (long NotBefore, byte[] Key)[] keys) => JsonDocument.Parse(JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["issuer-request-uri"] = "/v1/private-token-request",
        ["token-keys"] = keys.Select(k => new Dictionary<string, object> { ["token-type"] = 2, ["token-key"] = Convert.ToBase64String(k.Key).TrimEnd('=').Replace('+', '-').Replace('/', '_'), ["not-before"] = k.NotBefore }).ToArray(),
    })).RootElement;

    [Fact]
    public void The_current_token_key_is_the_newest_of_at_most_two_and_an_empty_or_crowded_directory_is_refused()
    {
        byte[] old = [1, 2, 3], current = [4, 5, 6], third = [7, 8, 9];
        var (uri, key, refusal) = TokenKeyConsistency.ReadDirectory(Directory((100, old), (200, current)));
        Assert.Null(refusal);
        Assert.Equal("/v1/private-token-request", uri);
        Assert.Equal(current, key);
        Assert.Null(TokenKeyConsistency.CheckChallengeKey(current, key!));
        Assert.NotNull(TokenKeyConsistency.CheckChallengeKey(old, key!)); // the previous key still redeems, but is not fetched for

        Assert.Contains("lists no token key", TokenKeyConsistency.ReadDirectory(Directory()).Refusal);
        Assert.Contains("lists 3 token keys", TokenKeyConsistency.ReadDirectory(Directory((100, old), (200, current), (300, third))).Refusal);
    }

    /// <summary>An upstream that answers from a list, one answer per request, the last one forever.</summary>
    private sealed class ScriptedUpstream(params Func<HttpResponseMessage>[] answers) : HttpMessageHandler
    {
        public int Calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            int call = Interlocked.Increment(ref Calls) - 1;
            return Task.FromResult(answers[Math.Min(call, answers.Length - 1)]());
        }
    }

    private static HttpResponseMessage Keys(byte[] body)
    {
        var answer = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body) };
        answer.Content.Headers.ContentType = new(OhttpMediaTypes.Keys);
        return answer;
    }

    [Fact]
    public async Task The_relay_never_keeps_a_failure_or_a_wrong_media_type_and_keeps_the_first_good_copy_for_its_window()
    {
        var good = OhttpKeyConfig.EncodeList([Key(1)]);
        var later = OhttpKeyConfig.EncodeList([Key(2)]);
        var upstream = new ScriptedUpstream(
            () => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("down") },
            () => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("<html>not keys</html>") },
            () => throw new HttpRequestException("connection refused"),
            () => Keys(good),
            () => Keys(later));
        var clock = new ManualClock(TestRegistries.Now);
        await using var relay = RelayApp.Build(new RelayOptions { Gateway = new Uri("http://gateway.invalid/.well-known/ohttp-gateway"), Urls = ["http://127.0.0.1:0"], OperatorUrls = ["http://127.0.0.1:0"], Clock = clock },
            upstream: upstream);
        await relay.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(relay.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/.well-known/ohttp-gateway")).StatusCode);
        var wrongType = await http.GetAsync("/.well-known/ohttp-gateway");
        Assert.NotEqual(OhttpMediaTypes.Keys, wrongType.Content.Headers.ContentType?.MediaType);
        await Problem.AssertAsync(await http.GetAsync("/.well-known/ohttp-gateway"), HttpStatusCode.BadGateway, "relay-gateway-unreachable");
        Assert.Equal(good, await http.GetByteArrayAsync("/.well-known/ohttp-gateway"));
        Assert.Equal(good, await http.GetByteArrayAsync("/.well-known/ohttp-gateway")); // kept: upstream not asked
        Assert.Equal(4, upstream.Calls);
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(later, await http.GetByteArrayAsync("/.well-known/ohttp-gateway"));
        await relay.StopAsync();
    }

    [Fact]
    public void A_key_cache_window_outside_one_minute_to_seven_days_or_a_bad_issuer_directory_is_refused_at_start()
    {
        var errors = new RelayOptions { Gateway = new Uri("https://g.example/x"), KeyCacheDuration = TimeSpan.FromSeconds(5), IssuerDirectory = new Uri("ftp://i.example/") }.Validate();
        Assert.Contains(errors, e => e.StartsWith("KeyCacheDuration:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--issuer-directory:", StringComparison.Ordinal));
        Assert.Contains(new RelayOptions { Gateway = new Uri("https://g.example/x"), KeyCacheDuration = TimeSpan.FromDays(8) }.Validate(), e => e.StartsWith("KeyCacheDuration:", StringComparison.Ordinal));
        Assert.Empty(new RelayOptions { Gateway = new Uri("https://g.example/x") }.Validate());
    }
}
