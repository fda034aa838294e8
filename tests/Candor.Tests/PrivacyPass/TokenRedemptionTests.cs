using Microsoft.Extensions.DependencyInjection;
using System.Net;
using Candor.Collector.PrivacyPass;
using Candor.PrivacyPass;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.PrivacyPass;

/// <summary>
/// The collector with tokens required: each refusal is a precise 401/403 problem and stores nothing,
/// a valid token counts once, and the token budget bounds what one address can inject.
/// </summary>
public sealed class TokenRedemptionTests
{
    private static async Task<long> StoredReports(CollectorHost host, string app = TestRegistries.App) =>
        (await host.Store.ReadRawAsync(app)).Sum(r => r.Reports);

    [Fact]
    public async Task A_batch_with_a_fresh_token_is_accepted_and_the_same_token_again_is_refused_as_spent()
    {
        await using var host = await TokenKit.StartAsync();
        var token = await TokenKit.FetchAsync(host.Client);

        Assert.Equal(HttpStatusCode.Accepted, (await TokenKit.PostAsync(host.Client, token)).StatusCode);
        long stored = await StoredReports(host);
        Assert.Equal(6, stored);

        await Problem.AssertAsync(await TokenKit.PostAsync(host.Client, token), HttpStatusCode.Forbidden, "token-spent");
        Assert.Equal(stored, await StoredReports(host));
        Assert.Equal(1, await host.Store.CountSpentTokensAsync());
    }

    [Fact]
    public async Task A_batch_without_a_token_gets_401_with_the_challenge_and_nothing_is_stored()
    {
        await using var host = await TokenKit.StartAsync();
        var response = await TokenKit.PostAsync(host.Client, authorization: null);
        await Problem.AssertAsync(response, HttpStatusCode.Unauthorized, "token-required");
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("PrivateToken", challenge.Scheme);
        Assert.Contains("challenge=", challenge.Parameter);
        Assert.Contains("token-key=", challenge.Parameter);
        Assert.Equal(0, await StoredReports(host));
    }

    [Fact]
    public async Task Malformed_tokens_get_401_malformed_token_and_nothing_is_stored()
    {
        await using var host = await TokenKit.StartAsync();
        var token = (await TokenKit.FetchAsync(host.Client)).Encode();
        string[] bad =
        [
            "PrivateToken token=\"***not base64***\"",
            "PrivateToken nonce=\"AAAA\"",
            "Bearer " + System.Buffers.Text.Base64Url.EncodeToString(token),
            "PrivateToken token=\"" + System.Buffers.Text.Base64Url.EncodeToString(token[..^1]) + "\"", // one byte short
            "PrivateToken token=\"" + System.Buffers.Text.Base64Url.EncodeToString([0, 1, .. token[2..]]) + "\"", // token type 0x0001
        ];
        foreach (var header in bad)
            await Problem.AssertAsync(await TokenKit.PostAsync(host.Client, header), HttpStatusCode.Unauthorized, "malformed-token");
        Assert.Equal(0, await StoredReports(host));
        Assert.Equal(0, await host.Store.CountSpentTokensAsync());
    }

    [Fact]
    public async Task A_token_with_a_forged_signature_gets_401_invalid_token()
    {
        await using var host = await TokenKit.StartAsync();
        var token = await TokenKit.FetchAsync(host.Client);
        var forged = new PrivateToken(token.TokenType, token.Nonce, token.ChallengeDigest, token.TokenKeyId, [.. token.Authenticator[..^1], (byte)(token.Authenticator[^1] ^ 1)]);
        await Problem.AssertAsync(await TokenKit.PostAsync(host.Client, forged), HttpStatusCode.Unauthorized, "invalid-token");
        // A forged nonce under a real signature fails the same way: the nonce is signed.
        var renonced = new PrivateToken(token.TokenType, [.. token.Nonce[..^1], (byte)(token.Nonce[^1] ^ 1)], token.ChallengeDigest, token.TokenKeyId, token.Authenticator);
        await Problem.AssertAsync(await TokenKit.PostAsync(host.Client, renonced), HttpStatusCode.Unauthorized, "invalid-token");
        Assert.Equal(0, await StoredReports(host));
    }

    [Fact]
    public async Task Tokens_of_another_issuer_or_for_another_challenge_get_401_wrong_token_issuer()
    {
        await using var host = await TokenKit.StartAsync();
        await using var other = await TokenKit.StartAsync(configure: o => o.PrivacyPass.IssuerName = "someone-else");
        await using var sameNameOtherKey = await TokenKit.StartAsync(ownKey: true);

        var fromOther = await TokenKit.FetchAsync(other.Client); // another issuer name, so another challenge
        await Problem.AssertAsync(await TokenKit.PostAsync(host.Client, fromOther), HttpStatusCode.Unauthorized, "wrong-token-issuer");
        var otherKey = await TokenKit.FetchAsync(sameNameOtherKey.Client); // the same challenge, a key this collector never had
        await Problem.AssertAsync(await TokenKit.PostAsync(host.Client, otherKey), HttpStatusCode.Unauthorized, "wrong-token-issuer");
        Assert.Equal(0, await StoredReports(host));
    }

    [Fact]
    public async Task A_token_under_a_rotated_out_key_gets_401_expired_token_key_and_one_under_the_previous_key_still_counts()
    {
        await using var host = await TokenKit.StartAsync(configure: o => o.PrivacyPass.KeyLifetimeDays = 7);
        var oldest = await TokenKit.FetchAsync(host.Client);
        var alsoOldest = await TokenKit.FetchAsync(host.Client);

        host.Clock.Advance(TimeSpan.FromDays(8)); // first rotation: the first key is now the previous one
        var second = await TokenKit.FetchAsync(host.Client);
        Assert.NotEqual(oldest.TokenKeyId, second.TokenKeyId);
        Assert.Equal(HttpStatusCode.Accepted, (await TokenKit.PostAsync(host.Client, alsoOldest)).StatusCode);

        host.Clock.Advance(TimeSpan.FromDays(8)); // second rotation: the first key is retired
        await TokenKit.FetchAsync(host.Client);
        await Problem.AssertAsync(await TokenKit.PostAsync(host.Client, oldest), HttpStatusCode.Unauthorized, "expired-token-key");
        Assert.Equal(HttpStatusCode.Accepted, (await TokenKit.PostAsync(host.Client, second)).StatusCode);
        Assert.Equal(12, await StoredReports(host));

        // The double-spend store keeps only what accepted keys can still redeem.
        var janitor = host.App.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<SpentTokenJanitor>().Single();
        Assert.Equal(2, await host.Store.CountSpentTokensAsync());
        await janitor.RunOnceAsync();
        Assert.Equal(1, await host.Store.CountSpentTokensAsync());
    }

    [Fact]
    public async Task The_issuer_directory_publishes_the_accepted_keys_newest_first()
    {
        await using var host = await TokenKit.StartAsync(configure: o => o.PrivacyPass.KeyLifetimeDays = 7);
        await TokenKit.FetchAsync(host.Client);
        host.Clock.Advance(TimeSpan.FromDays(8));
        var response = await host.Client.GetAsync(IssuerEndpoints.DirectoryPath);
        Assert.Equal(IssuerEndpoints.DirectoryMediaType, response.Content.Headers.ContentType?.MediaType);
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(IssuerEndpoints.RequestPathDefault, json.RootElement.GetProperty("issuer-request-uri").GetString());
        var keys = json.RootElement.GetProperty("token-keys").EnumerateArray().ToArray();
        Assert.Equal(2, keys.Length);
        Assert.All(keys, k => Assert.Equal(2, k.GetProperty("token-type").GetInt32()));
        Assert.True(keys[0].GetProperty("not-before").GetInt64() > keys[1].GetProperty("not-before").GetInt64());
        var (_, current) = await TokenKit.ChallengeAsync(host.Client);
        Assert.Equal(current.Spki, System.Buffers.Text.Base64Url.DecodeFromChars(keys[0].GetProperty("token-key").GetString()!.TrimEnd('=')));
    }

    [Fact]
    public async Task The_injection_attack_from_one_address_gets_at_most_the_issuance_budget_of_batches_accepted()
    {
        const int budget = 5;
        await using var host = await TokenKit.StartAsync(budget: budget);
        var (challenge, key) = await TokenKit.ChallengeAsync(host.Client);
        var tokens = new List<PrivateToken>();
        for (int i = 0; i < 3 * budget; i++)
        {
            var (token, response) = await TokenKit.TryFetchAsync(host.Client, challenge, key);
            if (token is null)
            {
                await Problem.AssertAsync(response, HttpStatusCode.TooManyRequests, "token-budget-exhausted");
                Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            }
            else
                tokens.Add(token);
        }
        Assert.Equal(budget, tokens.Count);

        // Every token twice, and as many batches again without one.
        int accepted = 0;
        foreach (var token in tokens.Concat(tokens))
            if ((await TokenKit.PostAsync(host.Client, token)).StatusCode == HttpStatusCode.Accepted)
                accepted++;
        for (int i = 0; i < budget; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await TokenKit.PostAsync(host.Client, authorization: null)).StatusCode);
        Assert.Equal(budget, accepted);
        Assert.Equal(budget * 6, await StoredReports(host));

        // The next period brings a new budget.
        host.Clock.Advance(TimeSpan.FromHours(24));
        Assert.NotNull((await TokenKit.TryFetchAsync(host.Client, challenge, key)).Token);
    }

    [Fact]
    public async Task Bad_token_requests_get_precise_problems_and_cost_no_budget()
    {
        await using var host = await TokenKit.StartAsync(budget: 1);
        var (challenge, key) = await TokenKit.ChallengeAsync(host.Client);

        var wrongType = new HttpRequestMessage(HttpMethod.Post, IssuerEndpoints.RequestPathDefault) { Content = new ByteArrayContent(new byte[259]) };
        wrongType.Content.Headers.ContentType = new("application/octet-stream");
        await Problem.AssertAsync(await host.Client.SendAsync(wrongType), HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");

        var shortRequest = new HttpRequestMessage(HttpMethod.Post, IssuerEndpoints.RequestPathDefault) { Content = new ByteArrayContent([0, 2, key.KeyId[^1], 1, 2, 3]) };
        shortRequest.Content.Headers.ContentType = new(IssuerEndpoints.RequestMediaType);
        await Problem.AssertAsync(await host.Client.SendAsync(shortRequest), HttpStatusCode.BadRequest, "malformed-token-request");

        var aboveModulus = new HttpRequestMessage(HttpMethod.Post, IssuerEndpoints.RequestPathDefault)
        {
            Content = new ByteArrayContent([0, 2, key.KeyId[^1], .. Enumerable.Repeat((byte)0xFF, 256)]),
        };
        aboveModulus.Content.Headers.ContentType = new(IssuerEndpoints.RequestMediaType);
        await Problem.AssertAsync(await host.Client.SendAsync(aboveModulus), HttpStatusCode.BadRequest, "malformed-token-request");

        var wrongKey = TokenClient.CreateRequest(key, challenge).Request with { TruncatedTokenKeyId = (byte)(key.KeyId[^1] ^ 1) };
        var wrongKeyRequest = new HttpRequestMessage(HttpMethod.Post, IssuerEndpoints.RequestPathDefault) { Content = new ByteArrayContent(wrongKey.Encode()) };
        wrongKeyRequest.Content.Headers.ContentType = new(IssuerEndpoints.RequestMediaType);
        await Problem.AssertAsync(await host.Client.SendAsync(wrongKeyRequest), HttpStatusCode.BadRequest, "unknown-token-key");

        Assert.NotNull((await TokenKit.TryFetchAsync(host.Client, challenge, key)).Token); // the one token of the budget is still there
    }

    [Fact]
    public async Task In_separate_mode_untokened_batches_are_stored_apart_and_never_published()
    {
        await using var host = await TokenKit.StartAsync(TokenMode.Separate);
        for (int i = 0; i < 12; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await TokenKit.PostAsync(host.Client, authorization: null)).StatusCode);
        var token = await TokenKit.FetchAsync(host.Client);
        Assert.Equal(HttpStatusCode.Accepted, (await TokenKit.PostAsync(host.Client, token)).StatusCode);
        await Problem.AssertAsync(await TokenKit.PostAsync(host.Client, token), HttpStatusCode.Forbidden, "token-spent");

        Assert.Equal(6, await StoredReports(host));
        Assert.Equal(72, await StoredReports(host, TestRegistries.App + TokenRedemption.UntokenedSuffix));
        var published = await host.Client.GetStringAsync($"/v1/public/apps/{TestRegistries.App}/metrics/system.os");
        Assert.DoesNotContain("\"count\":1", published.Replace(" ", ""));
        Assert.DoesNotContain("untokened", await host.Client.GetStringAsync("/v1/public/apps"));
    }

    [Fact]
    public async Task With_tokens_off_the_authorization_header_is_ignored()
    {
        await using var host = await TokenKit.StartAsync(TokenMode.Off);
        Assert.Equal(HttpStatusCode.Accepted, (await TokenKit.PostAsync(host.Client, "PrivateToken token=\"garbage\"")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await TokenKit.PostAsync(host.Client, authorization: null)).StatusCode);
    }

    [Fact]
    public async Task Every_token_route_is_described_in_the_openapi_document()
    {
        await using var host = await TokenKit.StartAsync();
        using var doc = System.Text.Json.JsonDocument.Parse(await host.Client.GetStringAsync("/openapi/v1.json"));
        var paths = doc.RootElement.GetProperty("paths");
        var routes = host.App.Services.GetServices<Microsoft.AspNetCore.Routing.EndpointDataSource>()
            .SelectMany(s => s.Endpoints).OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>().ToList();
        foreach (var path in new[] { "/v1/apps/{app}/token-challenge", IssuerEndpoints.DirectoryPath, IssuerEndpoints.RequestPathDefault })
        {
            Assert.Contains(routes, r => "/" + r.RoutePattern.RawText!.TrimStart('/') == path);
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is not in openapi.json");
        }
        var reports = paths.GetProperty("/v1/apps/{app}/reports").GetProperty("post").GetProperty("responses");
        Assert.True(reports.TryGetProperty("401", out _) && reports.TryGetProperty("403", out _));
    }
}
