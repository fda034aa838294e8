using System.Security.Cryptography;
using System.Text;
using Candor.Announcements;
using Candor.Client;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Ohttp;

/// <summary>
/// Announcement fetches with the <c>ohttp</c> transport, through the real chain: the signed document
/// comes back through <c>candor relay</c> and the collector's gateway, and neither the relay sees what
/// was asked nor the collector who asked.
/// </summary>
public sealed class AnnouncementsThroughRelayTests : IAsyncLifetime
{
    private readonly ClientTestKit _kit = new();
    private readonly ECDsa _key = AnnouncementKeys.Generate();
    private OhttpChain _chain = null!;

    private string Dir => Path.Combine(_chain.Collector.Directory, "announcements");

    public async Task InitializeAsync() =>
        _chain = await OhttpChain.StartAsync(o => o.AnnouncementsDirectory = Path.Combine(Path.GetDirectoryName(o.Database)!, "announcements"));

    public async Task DisposeAsync()
    {
        await _chain.DisposeAsync();
        _key.Dispose();
        _kit.Dispose();
    }

    [Fact]
    public async Task Announcements_are_fetched_through_the_relay_and_verified_and_the_collector_is_never_contacted()
    {
        var source = AnnouncementSource.Load(Dir, TestRegistries.App);
        source.ReportbackNext = 86400;
        source.News.Add(new NewsItem { Id = "relay-news", Title = "Sealed all the way" });
        source.Publish(Dir, _key, _kit.Clock.GetUtcNow());

        var tap = new WireTap();
        var options = _chain.ClientOptions(_kit, tap);
        options.AnnouncementKeys = [_key.ExportSubjectPublicKeyInfoPem()];
        options.Platform = "linux";
        using var client = CandorClient.Create(options);
        client.GrantConsent();

        var result = await client.FetchAnnouncementsAsync();

        Assert.Equal("relay-news", Assert.Single(result!.News).Id);
        // Every connection of the device went to the relay; the collector's own address was never used.
        Assert.NotEmpty(tap.Uris);
        Assert.All(tap.Uris, u => Assert.Equal(_chain.RelayUrl.Authority, u.Authority));
        Assert.Equal(1, _chain.SealedRequestsForwarded);
        // What the relay handled (both hops and its logs): no path, app, news or signature in the clear.
        foreach (var canary in new[] { "announcements", TestRegistries.App, "relay-news", "Sealed all the way", "collector.invalid" })
        {
            Assert.DoesNotContain(tap.Requests.Concat(_chain.RelayToGateway.Requests), r => Encoding.Latin1.GetString(r.Body).Contains(canary, StringComparison.Ordinal));
            Assert.DoesNotContain(_chain.RelayLogs.Lines, l => l.Contains(canary, StringComparison.Ordinal));
        }
    }
}
