using System.Security.Cryptography;
using Candor.Announcements;
using Candor.Client;
using Candor.Client.Announcements;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Announcements;

public sealed class ClientAnnouncementTests : IAsyncLifetime
{
    private readonly ClientTestKit _kit = new();
    private readonly ECDsa _key = AnnouncementKeys.Generate();
    private readonly UriRecorder _wire = new();
    private CollectorHost _host = null!;
    private string Dir => Path.Combine(_host.Directory, "announcements");
    private string Published => AnnouncementSource.PublishedPath(Dir, TestRegistries.App);

    public async Task InitializeAsync() =>
        _host = await CollectorHost.StartAsync(o => o.AnnouncementsDirectory = Path.Combine(Path.GetDirectoryName(o.Database)!, "announcements"));

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _key.Dispose();
        _kit.Dispose();
    }

    /// <summary>A client whose user said yes: without it no fetch leaves the device (see <see cref="FetchConsentGateTests"/>).</summary>
    private CandorClient Client(Action<CandorClientOptions>? configure = null, bool consent = true)
    {
        var options = _kit.Options(_host.BaseAddress, _wire);
        options.AnnouncementKeys = [_key.ExportSubjectPublicKeyInfoPem()];
        options.Platform = "linux";
        options.AppVersion = "1.4.0";
        options.Language = "de";
        options.InstalledAt = ClientTestKit.Wednesday.AddDays(-120);
        configure?.Invoke(options);
        var client = CandorClient.Create(options);
        if (consent)
            client.GrantConsent();
        return client;
    }

    private byte[] Publish(ECDsa key, Action<AnnouncementSource>? edit = null)
    {
        var source = AnnouncementSource.Load(Dir, TestRegistries.App);
        source.ReportbackNext = 86400;
        edit?.Invoke(source);
        source.Publish(Dir, key, _kit.Clock.GetUtcNow());
        return File.ReadAllBytes(Published);
    }

    [Fact]
    public async Task The_client_gets_only_the_news_for_its_platform_and_version()
    {
        Publish(_key, s => s.News.AddRange([
            new NewsItem { Id = "all", Title = "For everyone" },
            new NewsItem { Id = "win", Title = "Windows only", Platforms = ["windows"] },
            new NewsItem { Id = "old", Title = "Old versions", Severity = "security", MaxVersion = "1.3.9" },
            new NewsItem { Id = "linux-new", Title = "Linux 1.4+", Platforms = ["linux"], MinVersion = "1.4" },
        ]));
        using var client = Client();

        var result = (await client.FetchAnnouncementsAsync())!;

        Assert.Equal(["all", "linux-new"], result.News.Select(n => n.Id));
        Assert.Equal(4, result.Document.News.Count);
    }

    [Fact]
    public async Task A_rollback_is_refused_even_after_a_restart()
    {
        var first = Publish(_key);
        Publish(_key);
        using (var client = Client())
            Assert.Equal(2, (await client.FetchAnnouncementsAsync())!.Document.Serial);

        File.WriteAllBytes(Published, first); // a stale mirror or an attacker replaying serial 1
        using var restarted = Client();
        var e = await Assert.ThrowsAsync<AnnouncementRejectedException>(() => restarted.FetchAnnouncementsAsync());
        Assert.Equal(RejectionReason.Rollback, e.Reason);
    }

    [Fact]
    public async Task A_rotated_key_stays_trusted_once_introduced_by_a_trusted_key()
    {
        using var next = AnnouncementKeys.Generate();
        Publish(next, s => s.Endorse(_key, next, _kit.Clock.GetUtcNow()));
        using var client = Client();
        Assert.Equal(AnnouncementKeys.KeyId(next), (await client.FetchAnnouncementsAsync())!.Document.KeyId);

        // The statement is no longer served; the client remembers the key it accepted.
        Publish(next, s => s.KeyStatements.Clear());
        Assert.Equal(2, (await client.FetchAnnouncementsAsync())!.Document.Serial);

        using var stranger = AnnouncementKeys.Generate();
        Publish(stranger, s => { s.KeyStatements.Clear(); s.Endorse(stranger, stranger, _kit.Clock.GetUtcNow()); });
        var e = await Assert.ThrowsAsync<AnnouncementRejectedException>(() => client.FetchAnnouncementsAsync());
        Assert.Equal(RejectionReason.UnknownKey, e.Reason);
    }

    [Fact]
    public async Task An_expired_document_is_refused_by_the_client()
    {
        Publish(_key, s => s.LifetimeDays = 1);
        _kit.Clock.Advance(TimeSpan.FromDays(2));
        using var client = Client();
        var e = await Assert.ThrowsAsync<AnnouncementRejectedException>(() => client.FetchAnnouncementsAsync());
        Assert.Equal(RejectionReason.Expired, e.Reason);
    }

    [Fact]
    public async Task Without_consent_nothing_is_fetched_and_no_schedule_moves()
    {
        Publish(_key);
        using var client = Client(consent: false);

        Assert.Null(await client.FetchAnnouncementsAsync());
        Assert.Null(await client.FetchAnnouncementsIfDueAsync());

        Assert.Empty(_wire.Uris);
        Assert.Null(client.Status().NextUploadAt);
    }

    [Fact]
    public async Task With_consent_and_no_fetch_metrics_in_the_registry_the_fetch_is_plain_and_schedules_the_next_report_within_bounds()
    {
        Publish(_key);
        using var client = Client();

        var result = await client.FetchAnnouncementsAsync();

        // The test registry declares no motd.* metric: version, platform, language and install age stay on the device.
        Assert.Equal("", Assert.Single(_wire.Uris).Query);
        var now = _kit.Clock.GetUtcNow();
        Assert.InRange(result!.NextReportAt!.Value, now.AddDays(1), now.AddDays(4)); // one day, plus up to 3 days of jitter
        Assert.Equal(result.NextReportAt, client.Status().NextUploadAt);
    }

    [Fact]
    public async Task Nothing_published_is_an_http_error_and_no_collector_is_an_invalid_operation()
    {
        using var client = Client();
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => client.FetchAnnouncementsAsync());
        Assert.Equal(System.Net.HttpStatusCode.NotFound, e.StatusCode);

        using var offline = CandorClient.Create(_kit.Options(collector: null));
        await Assert.ThrowsAsync<InvalidOperationException>(() => offline.FetchAnnouncementsAsync());
    }

    [Fact]
    public async Task The_schedule_fetches_once_per_interval_and_logs_a_refused_document()
    {
        Publish(_key);
        using var client = Client();
        AnnouncementsResult? received = null;
        client.AnnouncementsReceived += r => received = r;

        Assert.NotNull(await client.FetchAnnouncementsIfDueAsync());
        Assert.Equal(1, received!.Document.Serial);
        Assert.Null(await client.FetchAnnouncementsIfDueAsync()); // not due again yet
        _kit.Clock.Advance(TimeSpan.FromHours(11)); // the next fetch is drawn between half and one and a half intervals
        Assert.Null(await client.FetchAnnouncementsIfDueAsync());
        Assert.Single(_wire.Uris);

        using var stranger = AnnouncementKeys.Generate();
        Publish(stranger);
        _kit.Clock.Advance(TimeSpan.FromHours(26));
        Assert.Null(await client.FetchAnnouncementsIfDueAsync());
        Assert.Contains(client.Log(), l => l.Message.Contains("Announcements refused (UnknownKey)"));
        Assert.Equal(1, client.LatestAnnouncements!.Document.Serial);
    }

    [Theory]
    [InlineData(0.5, 0)]
    [InlineData(2, 0)]
    [InlineData(4, 1)]
    [InlineData(120, 2)]
    [InlineData(400, 3)]
    public void Install_age_is_sent_only_as_the_rounded_log10_of_days(double days, int bucket) =>
        Assert.Equal(bucket, Candor.Client.Announcements.FetchParameters.InstallAgeBucket(days));

    private sealed class UriRecorder() : DelegatingHandler(new SocketsHttpHandler())
    {
        public List<Uri> Uris { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (Uris) Uris.Add(request.RequestUri!);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
