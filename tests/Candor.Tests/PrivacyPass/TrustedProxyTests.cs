using System.Net;
using Candor.Collector.PrivacyPass;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.PrivacyPass;

/// <summary>
/// Behind a real nginx (configured as operators do, X-Forwarded-For set): with the proxy trusted, the
/// limiters key on each client's own address, so one aggressive sender is held to its budget while
/// honest clients behind the same nginx are unaffected; the addresses are never stored or logged.
/// </summary>
public sealed class TrustedProxyTests
{
    private static IPAddress Client(int n) => IPAddress.Parse($"127.0.0.{n}");

    [NginxFact]
    public async Task Behind_nginx_the_injection_attack_gets_at_most_its_budget_and_honest_clients_are_unaffected()
    {
        const int budget = 4;
        await using var collector = await TokenKit.StartAsync(budget: budget, configure: o =>
        {
            o.PrivacyPass.TrustedProxies = ["127.0.0.1"];
            o.RateLimitPerAddressPerSecond = 5;
        });
        await using var nginx = await NginxProxy.StartAsync(collector.BaseAddress);

        // The attacker asks for many tokens and posts every one twice, plus batches without a token.
        using var attacker = nginx.ClientFrom(Client(66));
        var (challenge, key) = await TokenKit.ChallengeAsync(attacker);
        var tokens = new List<Candor.PrivacyPass.PrivateToken>();
        for (int i = 0; i < 3 * budget; i++)
            if ((await TokenKit.TryFetchAsync(attacker, challenge, key)).Token is { } t)
                tokens.Add(t);
        Assert.Equal(budget, tokens.Count);
        int attackerAccepted = 0;
        foreach (var token in tokens.Concat(tokens))
            if ((await TokenKit.PostAsync(attacker, token)).StatusCode == HttpStatusCode.Accepted)
                attackerAccepted++;
        Assert.Equal(budget, attackerAccepted);

        // Ten honest clients behind the same nginx each get their tokens and are all accepted.
        for (int n = 2; n < 12; n++)
        {
            using var honest = nginx.ClientFrom(Client(n));
            var token = await TokenKit.FetchAsync(honest);
            Assert.Equal(HttpStatusCode.Accepted, (await TokenKit.PostAsync(honest, token)).StatusCode);
        }
        Assert.Equal((budget + 10) * 6, (await collector.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports));

        // The addresses were keys in memory only: not in the database file, not in the logs.
        await collector.App.StopAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var bytes = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(collector.DatabasePath));
        Assert.DoesNotContain("127.0.0.66", bytes);
        Assert.DoesNotContain(collector.Logs.Lines, l => l.Contains("127.0.0.66"));
    }

    [NginxFact]
    public async Task Behind_a_trusted_nginx_a_flooding_address_is_throttled_alone()
    {
        await using var collector = await CollectorHost.StartAsync(o =>
        {
            o.PrivacyPass.TrustedProxies = ["127.0.0.1"];
            o.RateLimitPerAddressPerSecond = 2;
        });
        await using var nginx = await NginxProxy.StartAsync(collector.BaseAddress);
        using var flooder = nginx.ClientFrom(Client(66));
        int limited = 0;
        for (int i = 0; i < 20; i++)
            if ((await TokenKit.PostAsync(flooder, authorization: null)).StatusCode == HttpStatusCode.TooManyRequests)
                limited++;
        Assert.True(limited > 0, "the flooding address was never limited");
        for (int n = 2; n < 8; n++)
        {
            using var honest = nginx.ClientFrom(Client(n));
            Assert.Equal(HttpStatusCode.Accepted, (await TokenKit.PostAsync(honest, authorization: null)).StatusCode);
        }
    }

    [NginxFact]
    public async Task Without_the_trusted_proxy_setting_every_client_behind_nginx_shares_one_bucket()
    {
        await using var collector = await CollectorHost.StartAsync(o => o.RateLimitPerAddressPerSecond = 2);
        await using var nginx = await NginxProxy.StartAsync(collector.BaseAddress);
        using var flooder = nginx.ClientFrom(Client(66));
        for (int i = 0; i < 20; i++)
            await TokenKit.PostAsync(flooder, authorization: null);
        using var honest = nginx.ClientFrom(Client(2));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await TokenKit.PostAsync(honest, authorization: null)).StatusCode);
    }

    [Fact]
    public void A_forwarded_address_is_believed_only_from_a_trusted_proxy_and_only_its_right_most_untrusted_hop()
    {
        var resolver = new ClientAddress(new PrivacyPassOptions { TrustedProxies = ["10.0.0.0/8", "127.0.0.1"] });
        Microsoft.AspNetCore.Http.DefaultHttpContext Request(string remote, string? forwarded)
        {
            var http = new Microsoft.AspNetCore.Http.DefaultHttpContext();
            http.Connection.RemoteIpAddress = IPAddress.Parse(remote);
            if (forwarded is not null)
                http.Request.Headers["X-Forwarded-For"] = forwarded;
            return http;
        }
        Assert.Equal("203.0.113.9", resolver.Of(Request("203.0.113.9", "198.51.100.1")).ToString()); // not a proxy: the header is ignored
        Assert.Equal("198.51.100.1", resolver.Of(Request("127.0.0.1", "198.51.100.1")).ToString());
        Assert.Equal("198.51.100.1", resolver.Of(Request("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.1.2.3")).ToString()); // spoofed left part ignored
        Assert.Equal("127.0.0.1", resolver.Of(Request("127.0.0.1", "not-an-address")).ToString());
        Assert.Equal("2001:db8:1:2::", ClientAddress.PartitionKey(IPAddress.Parse("2001:db8:1:2:aaaa:bbbb:cccc:dddd")).ToString());
    }
}
