using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Candor.Collector.PrivacyPass;
using Candor.PrivacyPass;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.PrivacyPass;

/// <summary>Fetching tokens from a collector's issuer over HTTP with Candor's own client half, and posting with them.</summary>
internal static class TokenKit
{
    // RSA key generation takes up to seconds on a busy machine: most tests share one key.
    private static readonly Lazy<RsaPrivateKey> SharedKey = new(() => RsaPrivateKey.Generate());

    /// <summary>A key folder holding the shared test key, valid from a day before the test clock's start.</summary>
    public static string KeyFolderWithSharedKey()
    {
        var directory = Path.Combine(Path.GetTempPath(), "candor-tests", "keys-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(directory);
        long stamp = TestRegistries.Now.AddDays(-1).ToUnixTimeSeconds();
        File.WriteAllText(Path.Combine(directory, $"{stamp}.key"), SharedKey.Value.ToPem());
        File.WriteAllText(Path.Combine(directory, $"{stamp}.pub"), Base64Url.EncodeToString(SharedKey.Value.Public.Spki));
        return directory;
    }

    public static Task<CollectorHost> StartAsync(TokenMode mode = TokenMode.Required, int budget = 32, Action<Candor.Collector.CollectorOptions>? configure = null,
        bool ownKey = false, string? directory = null) =>
        CollectorHost.StartAsync(o =>
        {
            o.PrivacyPass.KeyDirectory = ownKey ? Path.Combine(Path.GetTempPath(), "candor-tests", "keys-" + Guid.NewGuid().ToString("n")) : KeyFolderWithSharedKey();
            o.PrivacyPass.Issuer = true;
            o.PrivacyPass.IssuanceBudget = budget;
            o.PrivacyPass.DefaultMode = mode;
            configure?.Invoke(o);
        }, directory);

    public static async Task<(TokenChallenge Challenge, RsaPublicKey Key)> ChallengeAsync(HttpClient client, string app = TestRegistries.App)
    {
        using var json = JsonDocument.Parse(await client.GetStringAsync($"/v1/apps/{app}/token-challenge"));
        return (TokenChallenge.Decode(Base64Url.DecodeFromChars(json.RootElement.GetProperty("challenge").GetString()!)),
                RsaPublicKey.FromSpki(Base64Url.DecodeFromChars(json.RootElement.GetProperty("token_key").GetString()!)));
    }

    /// <summary>One token request to the issuer; the token, or the failed response.</summary>
    public static async Task<(PrivateToken? Token, HttpResponseMessage Response)> TryFetchAsync(HttpClient client, TokenChallenge challenge, RsaPublicKey key,
        Action<HttpRequestMessage>? decorate = null)
    {
        var pending = TokenClient.CreateRequest(key, challenge);
        var request = new HttpRequestMessage(HttpMethod.Post, IssuerEndpoints.RequestPathDefault) { Content = new ByteArrayContent(pending.Request.Encode()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(IssuerEndpoints.RequestMediaType);
        decorate?.Invoke(request);
        var response = await client.SendAsync(request);
        if (!response.IsSuccessStatusCode)
            return (null, response);
        return (TokenClient.Finalize(pending, await response.Content.ReadAsByteArrayAsync()), response);
    }

    public static async Task<PrivateToken> FetchAsync(HttpClient client)
    {
        var (challenge, key) = await ChallengeAsync(client);
        var (token, response) = await TryFetchAsync(client, challenge, key);
        Assert.True(token is not null, $"issuance failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return token!;
    }

    public static Task<HttpResponseMessage> PostAsync(HttpClient client, string? authorization, string json = TestRegistries.FullBatch,
        string app = TestRegistries.App, Action<HttpRequestMessage>? decorate = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{app}/reports") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(json)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (authorization is not null)
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        decorate?.Invoke(request);
        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostAsync(HttpClient client, PrivateToken token, string json = TestRegistries.FullBatch) =>
        PostAsync(client, PrivateTokenHeader.Authorization(token), json);
}
