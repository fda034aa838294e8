using System.Security.Cryptography;
using Candor.Announcements;
using Candor.Client;
using Candor.Registry;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Announcements;

/// <summary>
/// An announcements fetch passes the same consent gate and allowlist as reports: each test attacks the
/// gate and reads what reached a real collector, both the exact query on the wire and what it counted.
/// </summary>
public sealed class FetchConsentGateTests : IAsyncLifetime
{
    private const string App = "org.example.motdgate";

    private const string Registry = """
        app: org.example.motdgate
        version: 1
        categories:
          usage: { description: How features are used }
          announcements: { description: Fetches of the message of the day }
        metrics:
          app.launches:
            type: counter
            category: usage
            period: week
            buckets: [1, 2, 5]
            description: Launches.
            purpose: Usage.
            expires: never
          motd.fetch:
            type: flag
            category: announcements
            period: day
            description: The announcements were fetched.
            purpose: Count active installations without an identifier.
            expires: never
          motd.version:
            type: enum
            category: announcements
            period: day
            values: [1.4.0, 2.0.0, other]
            description: The app version of a fetch.
            purpose: Know which versions are still in use.
            expires: never
          motd.platform:
            type: enum
            category: announcements
            period: day
            values: [linux, windows, macos]
            description: The platform of a fetch.
            purpose: Decide which platforms get packages first.
            expires: never
          motd.language:
            type: enum
            category: announcements
            period: day
            values: [en, de, pt-br]
            description: The UI language of a fetch.
            purpose: Decide which translations to keep.
            expires: never
          motd.install_age:
            type: quantity
            category: announcements
            period: day
            transform: log10
            description: round(log10(days since installation)).
            purpose: Tell new installations from old ones.
            expires: never
        """;

    private readonly ClientTestKit _kit = new();
    private readonly ECDsa _key = AnnouncementKeys.Generate();
    private readonly WireTap _wire = new();
    private CollectorHost _host = null!;

    public async Task InitializeAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "gate.yaml"), Registry);
        _host = await CollectorHost.StartAsync(o =>
        {
            o.RegistryFiles.Add(Path.Combine(dir, "gate.yaml"));
            o.AnnouncementsDirectory = Path.Combine(dir, "announcements");
        }, directory: dir);
        AnnouncementSource.Load(_host.Options.AnnouncementsDirectory!, App).Publish(_host.Options.AnnouncementsDirectory!, _key, _kit.Clock.GetUtcNow());
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _key.Dispose();
        _kit.Dispose();
        try { Directory.Delete(_host.Directory, true); } catch (IOException) { }
    }

    private CandorClient Client(Action<CandorClientOptions>? configure = null)
    {
        var options = _kit.Options(_host.BaseAddress, _wire, RegistryParser.Parse(Registry, "gate.yaml"));
        options.AnnouncementKeys = [_key.ExportSubjectPublicKeyInfoPem()];
        options.AppVersion = "2.0.0-nightly.20261201+g3f1c0a9";
        options.Platform = "linux";
        options.Language = "pt-BR-x-anna";
        options.InstalledAt = ClientTestKit.Wednesday.AddDays(-20);
        configure?.Invoke(options);
        return CandorClient.Create(options);
    }

    private List<string> Queries => _wire.Uris.Select(u => u.Query).ToList();

    private async Task<List<(string Metric, string Value)>> CountedAsync() =>
        (await _host.Store.ReadRawAsync(App)).Select(r => (r.Metric, r.Value)).OrderBy(r => r.Metric).ToList();

    /// <summary>Asks twice, by hand and as the schedule would: neither may reach the collector.</summary>
    private async Task AssertNothingLeavesAsync(CandorClient client)
    {
        Assert.Null(await client.FetchAnnouncementsAsync());
        Assert.Null(await client.FetchAnnouncementsIfDueAsync());
        Assert.Empty(_wire.Uris);
        Assert.Empty(await CountedAsync());
    }

    [Fact]
    public async Task A_machine_policy_that_disables_Candor_stops_the_fetch_even_after_a_yes()
    {
        using var client = Client();
        client.GrantConsent();
        Directory.CreateDirectory(Path.GetDirectoryName(_kit.PolicyFile)!);
        File.WriteAllText(_kit.PolicyFile, """{ "enabled": false }""");

        await AssertNothingLeavesAsync(client);
    }

    [Fact]
    public async Task DO_NOT_TRACK_stops_the_fetch()
    {
        _kit.Environment["DO_NOT_TRACK"] = "1";
        using var client = Client();

        await AssertNothingLeavesAsync(client);
    }

    [Fact]
    public async Task An_explicit_no_stops_the_fetch()
    {
        using var client = Client();
        client.GrantConsent();
        client.DenyConsent();

        await AssertNothingLeavesAsync(client);
    }

    [Fact]
    public async Task No_answer_yet_stops_the_fetch()
    {
        using var client = Client();

        await AssertNothingLeavesAsync(client);
    }

    [Fact]
    public async Task Switching_the_announcements_category_off_stops_the_fetch_because_the_collector_would_count_it()
    {
        using var client = Client();
        client.GrantConsent();
        client.DisableCategory("announcements");

        await AssertNothingLeavesAsync(client);
    }

    [Fact]
    public async Task Parameters_leave_only_as_values_the_registry_allows_never_as_raw_strings()
    {
        using var client = Client();
        client.GrantConsent();

        Assert.NotNull(await client.FetchAnnouncementsAsync());

        // The nightly version becomes "other" (listed); "pt-BR-x-anna" is not an allowed value and "other" is not listed: not sent.
        Assert.Equal(["?version=other&platform=linux&install_age=1"], Queries);
        Assert.DoesNotContain("nightly", _wire.Uris[0].OriginalString);
        Assert.DoesNotContain("anna", _wire.Uris[0].OriginalString);
        Assert.Equal([("motd.fetch", "true"), ("motd.install_age", "1"), ("motd.platform", "linux"), ("motd.version", "other")], await CountedAsync());
    }

    [Fact]
    public async Task A_metric_switched_off_is_left_out_of_the_fetch()
    {
        using var client = Client(o => { o.AppVersion = "2.0.0"; o.Language = "de"; });
        client.GrantConsent();
        client.DisableMetric("motd.version");
        client.DisableMetric("motd.install_age");

        Assert.NotNull(await client.FetchAnnouncementsAsync());

        Assert.Equal(["?platform=linux&language=de"], Queries);
        Assert.Equal([("motd.fetch", "true"), ("motd.language", "de"), ("motd.platform", "linux")], await CountedAsync());
    }

    [Fact]
    public async Task Fetch_metrics_added_after_the_user_answered_stay_off_until_asked()
    {
        // The user agreed to a registry without the announcements category; this version adds it.
        var before = RegistryParser.Parse(Registry.Replace("  announcements: { description: Fetches of the message of the day }\n", "")
            .Split("  motd.fetch:")[0], "before.yaml");
        using (var old = CandorClient.Create(_kit.Options(_host.BaseAddress, _wire, before)))
            old.GrantConsent();
        using var client = Client();

        await AssertNothingLeavesAsync(client);
    }
}
