using System.Text;
using System.Text.Json;
using Candor.Client.LocalStore;
using Candor.Client.Reporting;
using Candor.Protocol;
using Candor.Registry;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Client;

/// <summary>Metrics with <c>local_privacy</c> are randomised on the device, as the generated "what we collect" page promises.</summary>
public sealed class LocalPrivacyTests : IDisposable
{
    private readonly ClientTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    private static MetricRegistry Noisy => RegistryParser.Parse(TestRegistries.V1
        .Replace("    values: [linux, windows, macos, other]", "    values: [linux, windows, macos, other]\n    local_privacy: { epsilon: 1 }")
        .Replace("    expires: 2027-12-31", "    expires: 2027-12-31\n    local_privacy: { epsilon: 1 }"), "noisy.yaml");

    [Fact]
    public void Randomised_values_stay_allowlisted_and_the_truth_is_kept_only_with_the_documented_probability()
    {
        var registry = Noisy;
        var compiled = new CompiledRegistry(registry);
        var today = new DateOnly(2026, 11, 23);
        Observation[] observations =
        [
            new("system.os", "2026-W47", "linux", 3),
            new("app.launches", "2026-W47", "", 7), // the app ran that week; the spell checker was not used
        ];
        int keptOs = 0, saidSpellcheck = 0;
        const int Runs = 400;
        for (int seed = 0; seed < Runs; seed++)
        {
            var built = new ReportBuilder(registry, _ => true, 90, (_, _) => new Random(seed)).Build(observations, today);
            var body = Assert.Single(built.Batches).Body;
            Assert.Equal(BatchStatus.Valid, ReportBatchReader.Read(body, v => v == 1 ? compiled : null, new BatchRules(today)).Status);
            using var doc = JsonDocument.Parse(body);
            var reports = doc.RootElement.GetProperty("reports").EnumerateArray().ToDictionary(r => r.GetProperty("metric").GetString()!, r => r.GetProperty("value"));
            if (reports["system.os"].GetString() == "linux") keptOs++;
            if (reports["feature.spellcheck"].GetBoolean()) saidSpellcheck++;
            Assert.Equal(5, reports["app.launches"].GetInt64()); // no local_privacy: exact bucket
        }
        // e / (e + 3) = 0.475 for four values; e / (e + 1) = 0.731 to tell the truth (false) about a flag.
        Assert.InRange(keptOs / (double)Runs, 0.38, 0.57);
        Assert.InRange(saidSpellcheck / (double)Runs, 0.18, 0.36);
    }

    [Fact]
    public async Task The_preview_of_randomised_values_is_exactly_what_is_uploaded()
    {
        await using var collector = await CollectorHost.StartAsync();
        var tap = new WireTap();
        using var client = _kit.Create(collector.BaseAddress, tap, Noisy);
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        var preview = client.Preview();
        Assert.Equal(preview, client.Preview());
        Assert.Equal(1, (await client.UploadAsync()).Sent);
        Assert.Equal(preview, Encoding.UTF8.GetString(tap.Requests[0].Body));
    }
}
