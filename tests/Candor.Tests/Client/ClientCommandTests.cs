using System.Text.Json;
using Candor.Client;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Client;

/// <summary><c>candor client ...</c> as a user runs it: the real tool in its own process, on a real data directory.</summary>
public sealed class ClientCommandTests : IDisposable
{
    private readonly ClientTestKit _kit = new();
    private readonly string _registry;

    public ClientCommandTests()
    {
        _registry = Path.Combine(TestRegistries.WriteFiles(Path.Combine(_kit.DataDirectory, "..", Path.GetFileName(_kit.DataDirectory) + "-reg")), "test-v1.yaml");
    }

    public void Dispose()
    {
        _kit.Dispose();
        try { Directory.Delete(Path.GetDirectoryName(_registry)!, true); } catch (IOException) { }
    }

    private Task<(int Exit, string Stdout, string Stderr)> Candor(params string[] args) =>
        CandorProcess.RunAsync(_kit.DataDirectory, ["client", .. args, "--data-dir", _kit.DataDirectory, "--registry", _registry]);

    /// <summary>The application has run once with Candor: its data directory holds a store (the command line never creates one).</summary>
    private void AppRanOnce()
    {
        using var app = _kit.Create();
    }

    [Fact]
    public async Task A_user_grants_consent_sees_previews_exports_and_erases_from_the_command_line()
    {
        AppRanOnce();
        var (exit, stdout, _) = await Candor("consent", "grant");
        Assert.Equal(0, exit);
        Assert.Contains("Consent granted.", stdout);

        // The application records a week (the library, on the same data directory).
        using (var app = _kit.Create())
        {
            Assert.True(app.Consent.IsGranted);
            ClientTestKit.RecordSomething(app);
        }

        (exit, stdout, _) = await Candor("status");
        Assert.Equal(0, exit);
        Assert.Contains("Consent: granted (the user agreed)", stdout);
        Assert.Contains("performance  on ", stdout);

        (exit, stdout, _) = await Candor("show");
        Assert.Contains("Times the application was started during the week. (app.launches): 7 time(s)", stdout);

        (exit, stdout, _) = await Candor("preview");
        Assert.Equal(0, exit);
        // The tool uses the real clock; the library, set to the same clock, must preview the same bytes.
        using (var app = _kit.Create())
        {
            _kit.Clock.Set(DateTimeOffset.UtcNow);
            Assert.Equal(app.Preview() ?? "Nothing would be sent yet: no period with collected data has ended.", stdout.Trim());
        }

        (exit, stdout, _) = await Candor("export", "--format", "json");
        using (var doc = JsonDocument.Parse(stdout))
            Assert.NotEmpty(doc.RootElement.GetProperty("collected").EnumerateArray());
        (exit, stdout, _) = await Candor("export", "--format", "csv");
        Assert.Contains("collected,app.launches,2026-W47,,7", stdout);

        (exit, stdout, _) = await Candor("categories", "disable", "usage");
        Assert.Equal(0, exit);
        (exit, stdout, _) = await Candor("show");
        Assert.DoesNotContain("app.launches", stdout);
        Assert.Contains("system.os", stdout);

        (exit, stdout, _) = await Candor("erase");
        Assert.Equal(0, exit);
        (exit, stdout, _) = await Candor("show");
        Assert.Contains("Nothing collected and not yet sent.", stdout);
        (_, stdout, _) = await Candor("sent");
        Assert.Contains("Nothing has been sent.", stdout);
    }

    [Fact]
    public async Task Consent_deny_erases_unsent_data()
    {
        AppRanOnce();
        await Candor("consent", "grant");
        using (var app = _kit.Create())
            ClientTestKit.RecordSomething(app);
        var (exit, stdout, _) = await Candor("consent", "deny");
        Assert.Equal(0, exit);
        (_, stdout, _) = await Candor("show");
        Assert.Contains("Nothing collected", stdout);
        (_, stdout, _) = await Candor("status");
        Assert.Contains("Consent: denied (the user declined)", stdout);
    }

    [Fact]
    public async Task Bad_input_gets_a_one_line_error_and_exit_code_1_or_2_for_a_command_line_that_does_not_parse()
    {
        AppRanOnce();
        var (exit, _, stderr) = await Candor("categories", "disable", "perf");
        Assert.Equal(1, exit);
        Assert.Equal("candor client: Unknown category 'perf'; the categories are: usage, system, performance, activity.", stderr.Trim());

        (exit, _, stderr) = await CandorProcess.RunAsync(_kit.DataDirectory, "client", "status", "--data-dir", _kit.DataDirectory, "--registry", Path.Combine(_kit.DataDirectory, "missing.yaml"));
        Assert.Equal(1, exit);
        Assert.Contains("missing.yaml", stderr);
        Assert.DoesNotContain("   at ", stderr);

        (exit, _, stderr) = await CandorProcess.RunAsync(_kit.DataDirectory, "client", "status");
        Assert.Equal(2, exit);
        Assert.Equal("candor client status: --data-dir is required (see 'candor client status --help')", stderr.Trim());

        (exit, _, stderr) = await Candor("export", "--format", "xml");
        Assert.Equal(2, exit);
        Assert.Contains("'xml'", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task A_folder_without_candor_data_is_an_error_and_nothing_is_created_there()
    {
        string missing = Path.Combine(_kit.DataDirectory, "typo");
        var (exit, stdout, stderr) = await CandorProcess.RunAsync(_kit.DataDirectory, "client", "status", "--data-dir", missing, "--registry", _registry);
        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.StartsWith($"candor client: no Candor data found in {missing} (no candor-client.db)", stderr.Trim());
        Assert.False(Directory.Exists(missing));

        // An existing folder that is not the app's: still an error, still untouched (consent too: no answer is written).
        Directory.CreateDirectory(missing);
        (exit, _, stderr) = await CandorProcess.RunAsync(_kit.DataDirectory, "client", "consent", "grant", "--data-dir", missing, "--registry", _registry);
        Assert.Equal(1, exit);
        Assert.Contains("no Candor data found", stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(missing));
    }

    [Fact]
    public async Task The_registry_an_app_embeds_is_found_without_the_registry_option()
    {
        // The kit's app passes its registry as an object (embedded, no file): the client keeps a copy beside its store.
        AppRanOnce();
        Assert.Equal(TestRegistries.V1, File.ReadAllText(Path.Combine(_kit.DataDirectory, "registry.yaml")));
        var (exit, stdout, stderr) = await CandorProcess.RunAsync(_kit.DataDirectory, "client", "status", "--data-dir", _kit.DataDirectory);
        Assert.Equal("", stderr);
        Assert.Equal(0, exit);
        Assert.StartsWith($"{TestRegistries.App}, registry version 1", stdout);

        // An app on an older Candor kept no copy: the error says to pass --registry.
        File.Delete(Path.Combine(_kit.DataDirectory, "registry.yaml"));
        (exit, _, stderr) = await CandorProcess.RunAsync(_kit.DataDirectory, "client", "status", "--data-dir", _kit.DataDirectory);
        Assert.Equal(1, exit);
        Assert.Contains("pass --registry", stderr);
    }

    [Fact]
    public void Json_export_writes_timestamps_as_plain_utc_iso_8601()
    {
        var sentAt = new DateTimeOffset(2026, 11, 30, 14, 5, 0, TimeSpan.FromHours(2));
        string json = global::Candor.Client.UserData.LocalDataExport.Json(ClientTestKit.V1, new global::Candor.Client.Consent.EffectiveConsent(global::Candor.Client.Consent.ConsentState.Granted, default, "test"), [], [],
            [new global::Candor.Client.LocalStore.SentBatch(sentAt, """{"schema":1}""", 1)]);
        Assert.Contains("\"sent_at\": \"2026-11-30T12:05:00.0000000Z\"", json);
        Assert.DoesNotContain("\\u002B", json);
        Assert.Equal(sentAt, JsonDocument.Parse(json).RootElement.GetProperty("sent")[0].GetProperty("sent_at").GetDateTimeOffset());
    }
}
