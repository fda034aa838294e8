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
}
