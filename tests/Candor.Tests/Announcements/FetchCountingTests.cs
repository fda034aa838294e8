using System.Net;
using Candor.Announcements;
using Candor.Client;
using Candor.Registry;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Announcements;

public sealed class FetchCountingTests : IAsyncLifetime
{
    private const string MotdApp = "org.example.motd";

    private const string MotdRegistry = """
        app: org.example.motd
        version: 1
        categories:
          announcements: { description: Fetches of the message of the day }
        metrics:
          motd.fetch:
            type: flag
            category: announcements
            period: day
            description: The announcements were fetched (a daily total, nothing else).
            purpose: Estimate active installations without an identifier.
            expires: never
          motd.version:
            type: enum
            category: announcements
            period: day
            values: [1.3.0, 1.4.0]
            description: The app version of an opted-in fetch.
            purpose: Know which versions are still in use.
            expires: never
          motd.platform:
            type: enum
            category: announcements
            period: day
            values: [linux, windows, macos]
            description: The platform of an opted-in fetch.
            purpose: Decide which platforms get packages first.
            expires: never
          motd.install_age:
            type: quantity
            category: announcements
            period: day
            transform: log10
            description: round(log10(days since installation)) of an opted-in fetch.
            purpose: Tell new installations from old ones.
            expires: never
        """;

    private readonly ClientTestKit _kit = new();
    private readonly System.Security.Cryptography.ECDsa _key = AnnouncementKeys.Generate();
    private CollectorHost _host = null!;

    public async Task InitializeAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "motd.yaml"), MotdRegistry);
        _host = await CollectorHost.StartAsync(o =>
        {
            o.RegistryFiles.Add(Path.Combine(dir, "motd.yaml"));
            o.AnnouncementsDirectory = Path.Combine(dir, "announcements");
        }, directory: dir);
        foreach (var app in new[] { MotdApp, TestRegistries.App })
            AnnouncementSource.Load(_host.Options.AnnouncementsDirectory!, app).Publish(_host.Options.AnnouncementsDirectory!, _key, _kit.Clock.GetUtcNow());
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _key.Dispose();
        _kit.Dispose();
        try { Directory.Delete(_host.Directory, true); } catch (IOException) { }
    }

    private async Task<List<(string Metric, string Value, long Reports)>> RawAsync(string app = MotdApp) =>
        (await _host.Store.ReadRawAsync(app)).Select(r => (r.Metric, r.Value, r.Reports)).OrderBy(r => r.Metric).ToList();

    [Fact]
    public async Task A_plain_fetch_is_counted_only_in_the_daily_total()
    {
        for (int i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await _host.Client.GetAsync($"/v1/apps/{MotdApp}/announcements")).StatusCode);

        Assert.Equal([("motd.fetch", "true", 3L)], await RawAsync());
        Assert.All(await _host.Store.ReadRawAsync(MotdApp), r => Assert.Equal("2026-11-22", r.Period));
    }

    [Fact]
    public async Task Parameters_are_counted_only_as_metrics_the_registry_declares_with_values_it_allows()
    {
        var response = await _host.Client.GetAsync($"/v1/apps/{MotdApp}/announcements?version=1.4.0&platform=haiku&language=de&install_age=2&device=abc");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // platform "haiku" is not an allowed value, the registry has no motd.language, "device" is not a parameter.
        Assert.Equal([("motd.fetch", "true", 1L), ("motd.install_age", "2", 1L), ("motd.version", "1.4.0", 1L)], await RawAsync());
    }

    [Fact]
    public async Task An_app_whose_registry_declares_no_fetch_metrics_has_nothing_counted()
    {
        Assert.Equal(HttpStatusCode.OK, (await _host.Client.GetAsync($"/v1/apps/{TestRegistries.App}/announcements?version=1.4.0")).StatusCode);
        Assert.Empty(await RawAsync(TestRegistries.App));
    }

    [Fact]
    public async Task Motd_parameters_are_counted_only_with_consent()
    {
        var options = _kit.Options(_host.BaseAddress, registry: RegistryParser.Parse(MotdRegistry, "motd.yaml"));
        options.AnnouncementKeys = [_key.ExportSubjectPublicKeyInfoPem()];
        options.AppVersion = "1.4.0";
        options.Platform = "linux";
        options.InstalledAt = ClientTestKit.Wednesday.AddDays(-10);
        using var client = CandorClient.Create(options);

        Assert.Null(await client.FetchAnnouncementsAsync());
        Assert.Empty(await RawAsync()); // no "yes": not even the fetch itself is counted, because it never happens

        client.GrantConsent();
        await client.FetchAnnouncementsAsync();
        Assert.Equal([("motd.fetch", "true", 1L), ("motd.install_age", "1", 1L), ("motd.platform", "linux", 1L), ("motd.version", "1.4.0", 1L)], await RawAsync());
    }

    /// <summary>
    /// motd.* count each installation at most once a UTC day, whatever the app calls: eight fetches on one
    /// day, through a restart and an answer lost after the collector counted it, are counted once (with
    /// their parameters once); the next day counts again. Control: the same collector counts every fetch
    /// that does not say it is a repeat (<see cref="A_plain_fetch_is_counted_only_in_the_daily_total"/>:
    /// three plain fetches, three counts), so the once-a-day figure is the client's doing, tested here.
    /// </summary>
    [Fact]
    public async Task An_installation_fetching_many_times_a_day_is_counted_once_that_day_across_restarts_and_a_lost_answer()
    {
        var tap = new WireTap();
        CandorClient Start()
        {
            var options = _kit.Options(_host.BaseAddress, tap, RegistryParser.Parse(MotdRegistry, "motd.yaml"));
            options.AnnouncementKeys = [_key.ExportSubjectPublicKeyInfoPem()];
            options.AppVersion = "1.4.0";
            options.Platform = "linux";
            return CandorClient.Create(options);
        }
        var client = Start();
        try
        {
            client.GrantConsent();
            for (int i = 0; i < 4; i++)
                Assert.NotNull(await client.FetchAnnouncementsAsync());
            client.Dispose();
            client = Start();
            tap.LoseAnswer = true;
            await Assert.ThrowsAnyAsync<Exception>(() => client.FetchAnnouncementsAsync());
            tap.LoseAnswer = false;
            for (int i = 0; i < 3; i++)
                Assert.NotNull(await client.FetchAnnouncementsAsync());
            Assert.True(tap.Uris.Count(u => u.AbsolutePath.EndsWith("/announcements", StringComparison.Ordinal)) >= 8, "every call reached the collector");
            Assert.Equal([("motd.fetch", "true", 1L), ("motd.platform", "linux", 1L), ("motd.version", "1.4.0", 1L)], await RawAsync());
            // A repeat says nothing but that it is one.
            Assert.All(tap.Uris.Where(u => u.AbsolutePath.EndsWith("/announcements", StringComparison.Ordinal)).Skip(1), u => Assert.Equal("?counted=0", u.Query));

            _kit.Clock.Advance(TimeSpan.FromDays(1));
            _host.Clock.Advance(TimeSpan.FromDays(1));
            await client.FetchAnnouncementsAsync();
            await client.FetchAnnouncementsAsync();
            var fetches = (await _host.Store.ReadRawAsync(MotdApp)).Where(r => r.Metric == "motd.fetch").OrderBy(r => r.Period).ToList();
            Assert.Equal([("2026-11-22", 1L), ("2026-11-23", 1L)], fetches.Select(r => (r.Period, r.Reports)).ToList());
        }
        finally
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task A_fetch_marked_as_a_repeat_is_served_and_counts_nothing_not_even_its_parameters()
    {
        var response = await _host.Client.GetAsync($"/v1/apps/{MotdApp}/announcements?counted=0&version=1.4.0");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEmpty(await response.Content.ReadAsByteArrayAsync());
        Assert.Empty(await RawAsync());
        // Any other value of the marker is not a repeat: counted as before.
        Assert.Equal(HttpStatusCode.OK, (await _host.Client.GetAsync($"/v1/apps/{MotdApp}/announcements?counted=1")).StatusCode);
        Assert.Equal([("motd.fetch", "true", 1L)], await RawAsync());
    }
}
