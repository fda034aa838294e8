using System.Diagnostics.Metrics;
using Candor.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Tests.Client;

/// <summary>Typed handles from the registry, development and release modes, and the System.Diagnostics.Metrics bridge.</summary>
public sealed class RecordingTests : IDisposable
{
    private readonly ClientTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    private CandorClient Granted(bool throwOnMisuse = true)
    {
        var options = _kit.Options();
        options.ThrowOnMisuse = throwOnMisuse;
        var client = CandorClient.Create(options);
        client.GrantConsent();
        return client;
    }

    [Fact]
    public void Unknown_names_wrong_types_and_disallowed_enum_values_throw_in_development_mode()
    {
        using var client = Granted();
        Assert.Contains("does not list a metric named 'app.launched'", Assert.Throws<ArgumentException>(() => client.Counter("app.launched")).Message);
        Assert.Contains("system.os is a enum, not a counter", Assert.Throws<ArgumentException>(() => client.Counter("system.os")).Message);
        Assert.Contains("'beos' is not an allowed value of system.os", Assert.Throws<ArgumentException>(() => client.Enum("system.os").Set("beos")).Message);
    }

    [Fact]
    public void In_release_mode_misuse_is_dropped_silently_and_unknown_enum_values_become_other()
    {
        using var client = Granted(throwOnMisuse: false);
        client.Counter("app.launched").Increment();
        client.Flag("system.os").Set();
        client.Enum("system.os").Set("beos");
        var item = Assert.Single(client.Show(), i => !i.Metric.StartsWith("candor.", StringComparison.Ordinal)); // not the built-in activity flags
        Assert.Equal(("system.os", "other 1 time(s)"), (item.Metric, item.Summary));
    }

    [Fact]
    public void Counts_add_up_across_flushes_and_restarts()
    {
        using (var client = Granted())
        {
            client.Counter("app.launches").Add(3);
            client.Flush();
            client.Counter("app.launches").Increment();
        } // dispose flushes
        using var again = _kit.Create();
        again.Counter("app.launches").Increment();
        Assert.Equal("5 time(s)", Assert.Single(again.Show(), i => i.Metric == "app.launches").Summary);
    }

    [Fact]
    public void Concurrent_recording_loses_nothing()
    {
        using var client = Granted();
        var counter = client.Counter("app.launches");
        var histogram = client.Histogram("startup.ms");
        Parallel.For(0, 4, _ =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                counter.Increment();
                histogram.Record(120);
                if (i % 1000 == 0) client.Flush();
            }
        });
        Assert.Equal("40000 time(s)", Assert.Single(client.Show(), i => i.Metric == "app.launches").Summary);
        Assert.Equal("40000 in the range from 100", Assert.Single(client.Show(), i => i.Metric == "startup.ms").Summary);
    }

    [Fact]
    public void The_active_flag_is_set_for_each_day_the_app_runs()
    {
        using var client = Granted();
        client.Flush();
        _kit.Clock.Advance(TimeSpan.FromDays(1));
        client.Flush();
        Assert.Equal(["2026-11-18", "2026-11-19"], client.Show().Where(i => i.Metric == "candor.active").Select(i => i.Period).ToArray());
    }

    [Fact]
    public void Instruments_of_System_Diagnostics_Metrics_named_in_the_registry_are_recorded()
    {
        using var client = Granted();
        using var meter = new Meter("Candor.Tests.Bridge." + Guid.NewGuid().ToString("n"));
        meter.CreateCounter<long>("app.launches").Add(2);
        meter.CreateHistogram<double>("startup.ms").Record(260.5);
        meter.CreateCounter<long>("not.in.registry").Add(5);
        var shown = client.Show();
        Assert.Equal("2 time(s)", Assert.Single(shown, i => i.Metric == "app.launches").Summary);
        Assert.Equal("1 in the range from 250", Assert.Single(shown, i => i.Metric == "startup.ms").Summary);
        Assert.DoesNotContain(shown, i => i.Metric == "not.in.registry");
    }

    [Fact]
    public void Handles_are_cached_so_looking_one_up_again_is_cheap()
    {
        using var client = Granted();
        Assert.Same(client.Counter("app.launches"), client.Counter("app.launches"));
    }

    [Fact]
    public void Bad_options_are_refused_with_a_clear_message()
    {
        Assert.Contains("DataDirectory is required", Assert.Throws<ArgumentException>(() => CandorClient.Create(new CandorClientOptions { Registry = ClientTestKit.V1 })).Message);
        Assert.Contains("Registry or RegistryFile", Assert.Throws<ArgumentException>(() => CandorClient.Create(new CandorClientOptions { DataDirectory = _kit.DataDirectory })).Message);
        var o = _kit.Options();
        o.CollectorUrl = new Uri("ftp://127.0.0.1/");
        Assert.Contains("absolute http or https", Assert.Throws<ArgumentException>(() => CandorClient.Create(o)).Message);
    }

    [Fact]
    public void AddCandor_registers_one_client()
    {
        var services = new ServiceCollection();
        services.AddCandor(o =>
        {
            var k = _kit.Options();
            o.Registry = k.Registry; o.DataDirectory = k.DataDirectory; o.TimeProvider = k.TimeProvider;
            o.BackgroundWork = false; o.Environment = k.Environment; o.PolicyFile = k.PolicyFile;
        });
        using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<CandorClient>();
        Assert.Same(client, provider.GetRequiredService<CandorClient>());
    }
    [Fact]
    public void The_bridge_records_nothing_before_consent()
    {
        using var client = _kit.Create();
        using var meter = new Meter("Candor.Tests.Bridge." + Guid.NewGuid().ToString("n"));
        meter.CreateCounter<long>("app.launches").Add(2);
        Assert.Empty(client.Show());
        client.GrantConsent();
        meter.CreateCounter<long>("app.launches").Add(1);
        Assert.Equal("1 time(s)", Assert.Single(client.Show(), i => i.Metric == "app.launches").Summary);
    }
}
