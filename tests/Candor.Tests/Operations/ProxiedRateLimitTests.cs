using System.Net;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Operations;

/// <summary>
/// The shipped nginx configuration in front of a real collector that trusts only that proxy: two
/// clients (127.0.0.2 and 127.0.0.3) get separate per-address budgets, and a client cannot buy a fresh
/// budget by sending its own X-Forwarded-For. The control: the same set-up without the forwarding line
/// puts every client in one bucket (what the shipped file did before: 42.9 % of 200 honest clients'
/// batches answered 429).
/// </summary>
public sealed class ProxiedRateLimitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-proxied-limit-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    [NginxFact]
    public async Task Behind_the_shipped_nginx_two_clients_get_separate_budgets_and_cannot_forge_another()
    {
        var (first, second, forged) = await ExhaustOneClientThenSendFromAnotherAsync(edit: null);
        Assert.All(second, s => Assert.Equal(HttpStatusCode.Accepted, s));
        // Five forged addresses while exhausted: a working forgery would get all five accepted; a refill
        // tick (2 tokens a second) may let up to two through.
        Assert.True(forged.Count(s => s == HttpStatusCode.TooManyRequests) >= 3, string.Join(", ", forged));
        Assert.Contains(HttpStatusCode.TooManyRequests, first);
    }

    [NginxFact]
    public async Task Without_forwarding_the_client_address_every_client_shares_one_budget()
    {
        var (_, second, _) = await ExhaustOneClientThenSendFromAnotherAsync(edit: c => string.Join("\n",
            c.Split('\n').Where(l => !l.Contains("X-Forwarded-For $remote_addr", StringComparison.Ordinal))));
        Assert.Contains(HttpStatusCode.TooManyRequests, second);
    }

    /// <summary>127.0.0.2 posts until refused; then 127.0.0.3 posts three batches, and 127.0.0.2 five more, each claiming another address.</summary>
    private async Task<(List<HttpStatusCode> First, List<HttpStatusCode> Second, List<HttpStatusCode> Forged)> ExhaustOneClientThenSendFromAnotherAsync(Func<string, string>? edit)
    {
        int collectorPort = LoopbackClient.FreePort(), nginxPort = LoopbackClient.FreePort();
        await using var collector = await CollectorHost.StartAsync(o =>
        {
            o.Urls = [$"http://127.0.0.1:{collectorPort}"];
            o.RateLimitPerAddressPerSecond = 2; // a bucket of 4, 2 more each second
            o.PrivacyPass.TrustedProxies = ["127.0.0.1"]; // nginx's address here: it connects from 127.0.0.1
        }, directory: Path.Combine(_dir, "collector"));
        using var nginx = ShippedNginx.Start(Path.Combine(_dir, "nginx"), nginxPort, collectorPort, edit);
        var baseAddress = new Uri($"http://127.0.0.1:{nginxPort}");
        using var a = LoopbackClient.From("127.0.0.2", baseAddress);
        using var b = LoopbackClient.From("127.0.0.3", baseAddress);
        await WaitForNginxAsync(a, nginx);

        var first = new List<HttpStatusCode>();
        for (int i = 0; i < 30 && !first.Contains(HttpStatusCode.TooManyRequests); i++)
            first.Add(await PostAsync(a));
        var second = new List<HttpStatusCode>();
        for (int i = 0; i < 3; i++)
            second.Add(await PostAsync(b));
        var forged = new List<HttpStatusCode>();
        for (int i = 0; i < 5; i++)
            forged.Add(await PostAsync(a, forwardedFor: $"127.0.0.{10 + i}"));
        return (first, second, forged);
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient client, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{TestRegistries.App}/reports")
        {
            Content = new StringContent(TestRegistries.FullBatch, System.Text.Encoding.UTF8, "application/json"),
        };
        if (forwardedFor is not null)
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        return (await client.SendAsync(request)).StatusCode;
    }

    /// <summary>nginx needs a moment to listen; polls /healthz (at most 10 s), which does not spend the budget.</summary>
    private static async Task WaitForNginxAsync(HttpClient client, ShippedNginx nginx)
    {
        for (int i = 0; ; i++)
        {
            Assert.False(nginx.HasExited, "nginx exited");
            Assert.True(i < 100, "nginx did not answer /healthz within 10 s");
            try
            {
                if ((await client.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
    }
}
