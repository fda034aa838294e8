using System.Net.Sockets;
using Candor.Cli.Commands;
using Candor.Collector;
using Candor.Collector.Hosting;
using Candor.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Candor.Tests.Operations;

/// <summary>Settings checked at start-up: typos named with what they meant, bad addresses and busy ports in one line, exit 1.</summary>
public sealed class ConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-config-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    [Fact]
    public void A_misspelled_environment_setting_is_refused_with_the_setting_it_meant()
    {
        var e = Assert.Throws<InvalidDataException>(() => ServeCommand.LoadOptions(null, new Dictionary<string, string?>
        {
            ["CANDOR_RateLimitPerAdressPerSecond"] = "0",
            ["CANDOR_Apps__org.example.editor__RetentionDay"] = "30",
        }));
        Assert.Contains("unknown setting CANDOR_RateLimitPerAdressPerSecond (did you mean CANDOR_RateLimitPerAddressPerSecond?)", e.Message);
        Assert.Contains("unknown setting CANDOR_Apps__org.example.editor__RetentionDay (did you mean CANDOR_Apps__org.example.editor__RetentionDays?)", e.Message);
    }

    [Fact]
    public void Capitalised_variables_of_other_candor_tools_are_not_settings_but_a_capitalised_typo_is_caught()
    {
        var o = ServeCommand.LoadOptions(null, new Dictionary<string, string?>
        {
            ["CANDOR_TEST_POSTGRES"] = "Host=127.0.0.1",
            ["CANDOR_POLICY_FILE"] = "/etc/policy.json",
            ["CANDOR_RETENTIONDAYS"] = "30", // the binder ignores case: a setting
        });
        Assert.Equal(30, o.RetentionDays);
        var e = Assert.Throws<InvalidDataException>(() => ServeCommand.LoadOptions(null, new Dictionary<string, string?> { ["CANDOR_RETENTION_DAYZ"] = "30" }));
        Assert.Contains("did you mean CANDOR_RetentionDays?", e.Message);
    }

    [Fact]
    public void Settings_of_a_nested_section_are_taken_and_a_typo_inside_it_is_named()
    {
        var o = ServeCommand.LoadOptions(null, new Dictionary<string, string?>
        {
            ["CANDOR_PrivacyPass__KeyDirectory"] = "/var/lib/candor/token-keys",
            ["CANDOR_PrivacyPass__Issuer"] = "true",
            ["CANDOR_PrivacyPass__TrustedProxies__0"] = "127.0.0.1",
            ["CANDOR_Apps__org.example.editor__Tokens"] = "Required",
        });
        Assert.Equal("/var/lib/candor/token-keys", o.PrivacyPass.KeyDirectory);
        Assert.True(o.PrivacyPass.Issuer);
        Assert.Equal(["127.0.0.1"], o.PrivacyPass.TrustedProxies);
        var e = Assert.Throws<InvalidDataException>(() => ServeCommand.LoadOptions(null, new Dictionary<string, string?>
        {
            ["CANDOR_PrivacyPass__IssuanceBudgett"] = "10",
        }));
        Assert.Contains("unknown setting CANDOR_PrivacyPass__IssuanceBudgett (did you mean CANDOR_PrivacyPass__IssuanceBudget?)", e.Message);
    }

    [Fact]
    public void A_misspelled_setting_in_the_settings_file_is_refused_with_the_setting_it_meant()
    {
        var file = Path.Combine(_dir, "s.json");
        File.WriteAllText(file, """{ "Candor": { "RetentionDays": 60, "MaxBodyByte": 2048 } }""");
        var e = Assert.Throws<InvalidDataException>(() => ServeCommand.LoadOptions(file, new Dictionary<string, string?>()));
        Assert.Contains("unknown setting Candor:MaxBodyByte (in " + file + ") (did you mean Candor:MaxBodyBytes (in " + file + ")?)", e.Message);
    }

    [Fact]
    public async Task The_options_are_validated_on_start_through_the_options_system()
    {
        await using var host = await CollectorHost.StartAsync();
        var validators = host.App.Services.GetServices<IValidateOptions<CollectorOptions>>().ToList();
        Assert.Contains(validators, v => v is CollectorOptionsValidator);
        Assert.Equal(host.Options.RetentionDays, host.App.Services.GetRequiredService<IOptions<CollectorOptions>>().Value.RetentionDays);
        var invalid = new CollectorOptionsValidator().Validate(null, new CollectorOptions { Urls = ["notaurl"], MaxReportsPerBatch = 0 });
        Assert.True(invalid.Failed);
        Assert.Equal(2, invalid.Failures!.Count());
    }

    [Fact]
    public async Task Serve_with_a_misspelled_setting_prints_one_line_and_exits_1()
    {
        using var p = CandorProcess.Start(_dir, new Dictionary<string, string> { ["CANDOR_RateLimitPerAdressPerSecond"] = "0" },
            "serve", "--db", Path.Combine(_dir, "c.db"), "--urls", $"http://127.0.0.1:{LoopbackClient.FreePort()}");
        Assert.Equal(1, await p.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("candor serve: unknown setting CANDOR_RateLimitPerAdressPerSecond (did you mean CANDOR_RateLimitPerAddressPerSecond?)", p.Stderr.Trim());
        Assert.Equal("", p.Stdout);
        Assert.False(File.Exists(Path.Combine(_dir, "c.db")));
    }

    [Fact]
    public async Task Serve_with_urls_that_are_not_an_address_prints_one_line_and_exits_1()
    {
        var (exit, stdout, stderr) = await CandorProcess.RunAsync(_dir, "serve", "--db", Path.Combine(_dir, "c.db"), "--urls", "notaurl");
        Assert.Equal(1, exit);
        Assert.Equal("candor serve: invalid setting: Urls: 'notaurl' is not an address to listen on: give http://host:port (for example http://127.0.0.1:5080 or http://0.0.0.0:5080).", stderr.Trim());
        Assert.Equal("", stdout);
        Assert.False(File.Exists(Path.Combine(_dir, "c.db")));
    }

    [Fact]
    public async Task Serve_on_a_busy_port_prints_one_line_and_exits_1()
    {
        using var busy = new TcpListener(System.Net.IPAddress.Loopback, 0);
        busy.Start();
        int port = ((System.Net.IPEndPoint)busy.LocalEndpoint).Port;
        var (exit, stdout, stderr) = await CandorProcess.RunAsync(_dir, "serve", "--db", Path.Combine(_dir, "c.db"), "--urls", $"http://127.0.0.1:{port}");
        Assert.Equal(1, exit);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"candor serve: cannot listen: Failed to bind to address http://127.0.0.1:{port}", line);
        Assert.DoesNotContain("Candor collector on", stdout); // no banner for a collector that never listened
        Assert.DoesNotContain("   at ", stdout + stderr);
    }
}
