using System.Net;
using System.Net.Sockets;
using Candor.Collector;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Ingest;

/// <summary>Issue 8, part 5: the per-address limit, kept in memory only.</summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task One_address_over_its_rate_gets_429_with_retry_after_and_nothing_of_those_is_stored()
    {
        await using var host = await CollectorHost.StartAsync(o => o.RateLimitPerAddressPerSecond = 5);
        var responses = new List<HttpResponseMessage>();
        for (int i = 0; i < 40; i++)
            responses.Add(await host.PostAsync(TestRegistries.FullBatch));

        int accepted = responses.Count(r => r.StatusCode == HttpStatusCode.Accepted);
        var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(40, accepted + limited.Count);
        Assert.InRange(accepted, 10, 20); // the burst of 10, plus what refilled while the loop ran
        var problem = await Problem.AssertAsync(limited[0], HttpStatusCode.TooManyRequests, "rate-limited");
        Assert.True(limited[0].Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal(accepted * 6, (await host.Store.ReadRawAsync(TestRegistries.App)).Sum(r => r.Reports));
        Assert.DoesNotContain("127.0.0.1", problem.GetRawText());
    }

    [Fact]
    public async Task Each_address_has_its_own_allowance()
    {
        await using var host = await CollectorHost.StartAsync(o => o.RateLimitPerAddressPerSecond = 5);
        for (int n = 30; n < 40; n++)
        {
            using var client = ClientFrom($"127.0.0.{n}", host.BaseAddress);
            for (int i = 0; i < 8; i++)
            {
                var response = await client.PostAsync($"/v1/apps/{TestRegistries.App}/reports",
                    new StringContent(TestRegistries.FullBatch, System.Text.Encoding.UTF8, "application/json"));
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            }
        }
    }

    [Fact]
    public async Task Reading_is_never_limited()
    {
        await using var host = await CollectorHost.StartAsync(o => o.RateLimitPerAddressPerSecond = 1);
        for (int i = 0; i < 30; i++)
            Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync($"/v1/apps/{TestRegistries.App}/registry")).StatusCode);
    }

    [Fact]
    public void A_negative_limit_is_a_settings_error()
    {
        Assert.Contains(new CollectorOptions { RateLimitPerAddressPerSecond = -1 }.Validate(), e => e.Contains("RateLimitPerAddressPerSecond"));
        Assert.Empty(new CollectorOptions { RateLimitPerAddressPerSecond = 0 }.Validate());
    }

    private static HttpClient ClientFrom(string source, Uri baseAddress) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
    }) { BaseAddress = baseAddress };
}
