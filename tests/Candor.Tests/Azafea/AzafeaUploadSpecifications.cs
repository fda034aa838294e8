using System.Net;
using System.Text.RegularExpressions;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Azafea;

/// <summary>
/// A real collector (Kestrel on loopback, the engine of the subclass) fed real eos-event-recorder-daemon
/// uploads built per Azafea's documented format: what is stored, what is answered, what is counted.
/// </summary>
public abstract class AzafeaUploadSpecifications : IAsyncLifetime
{
    private string _directory = "";

    protected CollectorHost Host { get; private set; } = null!;

    /// <summary>The Database setting for a fresh store of this engine.</summary>
    protected abstract Task<string> CreateDatabaseAsync(string directory);

    /// <summary>Every raw row as "metric|period|value|reports", sorted.</summary>
    protected abstract Task<List<string>> RawRowsAsync();

    /// <summary>The whole database as text.</summary>
    protected abstract Task<string> DumpAsync();

    protected virtual Task DropDatabaseAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _directory = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(_directory);
        var mapping = Path.Combine(_directory, "azafea-events.yaml");
        File.WriteAllText(mapping, Uploads.MappingYaml);
        var database = await CreateDatabaseAsync(_directory);
        Host = await CollectorHost.StartAsync(o => { o.Database = database; o.AzafeaEventFiles = [mapping]; }, _directory);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await DropDatabaseAsync();
        try { Directory.Delete(_directory, true); } catch (IOException) { }
    }

    private static GVariant SearchPayload(string query) => new("(us)", new GTuple(1L, query));

    private async Task<string> MetricsAsync() => await Host.OperatorClient.GetStringAsync("/metrics");

    private static double Counter(string metrics, string name, string label, string value)
    {
        var m = Regex.Match(metrics, $"^{Regex.Escape(name)}\\{{{label}=\"{Regex.Escape(value)}\"\\}} (\\S+)$", RegexOptions.Multiline);
        Assert.True(m.Success, $"{name}{{{label}=\"{value}\"}} is not exported");
        return double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task AssertOkAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("OK", await response.Content.ReadAsStringAsync());
    }

    [StoreFact]
    public async Task A_daemon_upload_is_answered_OK_and_each_mapped_event_is_stored_as_its_own_report()
    {
        var request = Uploads.Request(
            [
                new Singular(Uploads.Search, SearchPayload("cats")),
                new Singular(Uploads.Search, SearchPayload("dogs")),
                new Singular(Uploads.Search, SearchPayload("fish")),
                new Singular(Uploads.Network, new GVariant("(uu)", new GTuple(20L, 70L))),
                new Singular(Uploads.Spell, null),
                new Singular(Uploads.Startup, new GVariant("u", 300L)),
            ],
            [
                new Aggregate(Uploads.Search, "2026-11-20", 7, SearchPayload("")),
                new Aggregate(Uploads.AgeCount, "2026-11-19", 120, null),
            ]);

        await AssertOkAsync(await Uploads.PutAsync(Host, request));

        Assert.Equal(
        [
            "app.launches|2026-W47|1|3",            // three searches, each its own report of 1
            "app.launches|2026-W47|5|1",            // an aggregate of 7, bucketed as the client library would
            "feature.spellcheck|2026-W47|true|1",
            "install.age_days|2026-W47|2|1",        // log10(120) rounded
            "startup.ms|2026-W47|{\"250\":1}|1",
            "system.os|2026-W47|linux|1",           // NMState 70 through the mapping's values
        ], await RawRowsAsync());
        var metrics = await MetricsAsync();
        Assert.Equal(1, Counter(metrics, "candor_azafea_uploads_total", "outcome", "stored"));
        Assert.Equal(8, Counter(metrics, "candor_azafea_events_total", "result", "stored"));
    }

    [StoreFact]
    public async Task Unknown_events_and_wrong_payloads_are_dropped_and_counted_and_the_rest_is_stored()
    {
        var request = Uploads.Request(
            [
                new Singular(Uploads.Unmapped, new GVariant("s", "org.gnome.Calculator")),
                new Singular(Uploads.Search, new GVariant("s", "a string, not (us)")),
                new Singular(Uploads.Search, null),                                        // payload missing
                new Singular(Uploads.Spell, new GVariant("b", true)),                      // takes no payload
                new Singular(Uploads.Network, new GVariant("(uu)", new GTuple(20L, 40L))), // 40 is not in values
                new Singular(Uploads.Os, new GVariant("s", "haiku")),                      // not an allowed value
                new Singular(Uploads.AgeCount, null),                                       // a count from a singular event
                new Singular(Uploads.Os, new GVariant("s", "macos")),                      // the one good event
            ],
            [new Aggregate(Uploads.Search, "2026-11", 3, SearchPayload(""))]);             // monthly: no week holds it

        await AssertOkAsync(await Uploads.PutAsync(Host, request));

        Assert.Equal(["system.os|2026-W47|macos|1"], await RawRowsAsync());
        var metrics = await MetricsAsync();
        Assert.Equal(1, Counter(metrics, "candor_azafea_events_total", "result", "unmapped"));
        Assert.Equal(5, Counter(metrics, "candor_azafea_events_total", "result", "disallowed_payload"));
        Assert.Equal(1, Counter(metrics, "candor_azafea_events_total", "result", "wrong_kind"));
        Assert.Equal(1, Counter(metrics, "candor_azafea_events_total", "result", "period"));
        Assert.Equal(1, Counter(metrics, "candor_azafea_events_total", "result", "stored"));
    }

    [StoreFact]
    public async Task Events_outside_the_registry_rules_are_refused_like_any_report()
    {
        var request = Uploads.Request(
            [
                new Singular(Uploads.Search, SearchPayload("x"), RelativeNs: Uploads.BootNs - 200L * 86400 * 1_000_000_000), // 200 days ago: past retention
                new Singular(Uploads.Startup, new GVariant("u", 300L), RelativeNs: Uploads.BootNs + 30L * 86400 * 1_000_000_000), // a month ahead
            ],
            [new Aggregate(Uploads.Search, "2026-11-20", 0, SearchPayload(""))]);                                                 // a count of 0

        await AssertOkAsync(await Uploads.PutAsync(Host, request));

        Assert.Empty(await RawRowsAsync());
        var metrics = await MetricsAsync();
        Assert.Equal(2, Counter(metrics, "candor_azafea_events_total", "result", "refused"));
        Assert.Equal(1, Counter(metrics, "candor_azafea_events_total", "result", "disallowed_payload"));
        Assert.Equal(1, Counter(metrics, "candor_azafea_uploads_total", "outcome", "nothing_mapped"));
    }

    [StoreFact]
    public async Task A_sender_clock_far_off_is_replaced_by_the_collector_clock_as_Azafea_does()
    {
        // The sender thinks it is 2020: its events would be years past retention if its clock were trusted.
        var request = Uploads.Request([new Singular(Uploads.Os, new GVariant("s", "linux"))], sentAt: new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero));

        await AssertOkAsync(await Uploads.PutAsync(Host, request));

        Assert.Equal(["system.os|2026-W47|linux|1"], await RawRowsAsync());
    }

    [StoreFact]
    public async Task Invalid_uploads_are_answered_OK_so_daemons_stop_resending_counted_and_never_stored()
    {
        var good = Uploads.Request([new Singular(Uploads.Os, new GVariant("s", "linux"))]);
        var gzipped = Uploads.Gzip(good);
        var truncated = good[..(good.Length / 2)];
        var garbage = new byte[300];
        new Random(29).NextBytes(garbage);
        var before = await DumpAsync();

        var cases = new (string Outcome, Func<Task<HttpResponseMessage>> Send)[]
        {
            ("malformed", () => Uploads.PutAsync(Host, truncated)),                                   // cut off, checksum of what arrived
            ("bad_gzip", () => Uploads.PutRawAsync(Host, gzipped[..(gzipped.Length - 6)], Uploads.Sha512(good), "gzip")), // gzip cut in its trailer
            ("malformed", () => Uploads.PutAsync(Host, garbage)),
            ("checksum_mismatch", () => Uploads.PutRawAsync(Host, gzipped, Uploads.Sha512(garbage), "gzip")),
            ("bad_encoding", () => Uploads.PutRawAsync(Host, gzipped, Uploads.Sha512(good), "bzip2")),
            ("empty", () => Uploads.PutRawAsync(Host, [], Uploads.Sha512([]), null)),
            ("too_large", () => Uploads.PutRawAsync(Host, new byte[Host.Options.MaxAzafeaBodyBytes + 1], Uploads.Sha512(good), null)),
        };
        foreach (var (outcome, send) in cases)
            await AssertOkAsync(await send());

        Assert.Empty(await RawRowsAsync());
        Assert.Equal(before, await DumpAsync());
        var metrics = await MetricsAsync();
        foreach (var outcome in cases.Select(c => c.Outcome).Distinct())
            Assert.Equal(cases.Count(c => c.Outcome == outcome), Counter(metrics, "candor_azafea_uploads_total", "outcome", outcome));
        Assert.Equal(0, Counter(metrics, "candor_azafea_uploads_total", "outcome", "stored"));

        // Positive control: the same good upload, sent whole, is stored.
        await AssertOkAsync(await Uploads.PutAsync(Host, good));
        Assert.Equal(["system.os|2026-W47|linux|1"], await RawRowsAsync());
    }

    [StoreFact]
    public async Task Old_format_uploads_are_answered_OK_and_ignored_unread()
    {
        var before = await DumpAsync();
        var v2 = Uploads.Version2Request("MACHINE-ID-29-29");

        await AssertOkAsync(await Uploads.PutAsync(Host, v2, version: "2"));
        await AssertOkAsync(await Uploads.PutAsync(Host, v2, version: "0"));
        // A version 2 body sent as version 3 is not a v3 request: refused whole, answered OK.
        await AssertOkAsync(await Uploads.PutAsync(Host, v2, version: "3"));

        Assert.Equal(before, await DumpAsync());
        var metrics = await MetricsAsync();
        Assert.Equal(2, Counter(metrics, "candor_azafea_uploads_total", "outcome", "old_format"));
        Assert.Equal(1, Counter(metrics, "candor_azafea_uploads_total", "outcome", "malformed"));
    }

    [StoreFact]
    public async Task Machine_level_fields_and_event_times_are_never_stored()
    {
        // The attack: an upload whose every machine-level field carries a marker (image, site, OS
        // version, the query of a mapped event, the payload of an unmapped one), then a search of every
        // table for the markers and for the sender's timestamps in any unit.
        var sentAt = TestRegistries.Now.AddSeconds(-5);
        var request = Uploads.Request(
            [
                new Singular(Uploads.Search, SearchPayload("PLANTED-QUERY"), OsVersion: "PLANTED-OS"),
                new Singular(Uploads.Unmapped, new GVariant("s", "PLANTED-UNMAPPED")),
                new Singular(Uploads.Os, new GVariant("s", "macos")),
            ],
            [new Aggregate(Uploads.Search, "2026-11-20", 2, SearchPayload("PLANTED-AGGREGATE"), OsVersion: "PLANTED-OS")],
            sentAt, image: "eos-PLANTED-IMAGE-amd64.190419-225606.base", site: new() { ["city"] = "PLANTED-SITE" }, flags: 3);
        Assert.True(request.AsSpan().IndexOf("PLANTED-SITE"u8) >= 0); // the markers are in what the collector receives

        await AssertOkAsync(await Uploads.PutAsync(Host, request));

        var dump = await DumpAsync();
        Assert.DoesNotContain("PLANTED", dump);
        long sentNs = sentAt.ToUnixTimeMilliseconds() * 1_000_000;
        foreach (var t in new[] { sentNs, sentNs / 1000, sentNs / 1_000_000, sentNs / 1_000_000_000, Uploads.BootNs, Uploads.BootNs - 15_000_000_000 })
            Assert.DoesNotContain(t.ToString(System.Globalization.CultureInfo.InvariantCulture), dump);
        Assert.All(await RawRowsAsync(), row => Assert.Contains("|2026-W47|", row)); // the week, never the day
        // Positive control: the scan sees what an upload does carry into the store, a payload value the
        // mapping allows (macos, from the same upload).
        Assert.Contains("macos", dump);
    }

    [StoreFact]
    public async Task Paths_that_are_not_Azafea_uploads_answer_404_problems()
    {
        var request = Uploads.Request([new Singular(Uploads.Os, new GVariant("s", "linux"))]);
        var wrongVersion = await Uploads.PutAsync(Host, request, version: "4");
        var shortHash = await Uploads.PutRawAsync(Host, request, "abc123", null);
        var unknownApp = await Uploads.PutAsync(Host, request, app: "org.example.nothing");

        foreach (var (response, slug) in new[] { (wrongVersion, "not-an-azafea-path"), (shortHash, "not-an-azafea-path"), (unknownApp, "unknown-app") })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains($"urn:candor:problem:{slug}", await response.Content.ReadAsStringAsync());
        }
        Assert.Empty(await RawRowsAsync());
    }
}
