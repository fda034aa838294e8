using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Candor.AspNetCore.Consent;
using Microsoft.Extensions.DependencyInjection;
using static Candor.Tests.AccountConsent.ConsentHost;

namespace Candor.Tests.AccountConsent;

/// <summary>Non-default choices are counted on a System.Diagnostics.Metrics counter that carries no user id.</summary>
public sealed class ChoiceCounterTests
{
    private sealed class Recorded : IDisposable
    {
        private readonly MeterListener _listener = new();
        public ConcurrentQueue<(long Value, Dictionary<string, string?> Tags)> Measurements { get; } = new();

        public Recorded(IMeterFactory factory)
        {
            // Only this host's meter: other tests' hosts run in parallel with their own factories.
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ConsentPreferences.MeterName && instrument.Name == ConsentPreferences.CounterName
                    && ReferenceEquals(instrument.Meter.Scope, factory))
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
                Measurements.Enqueue((value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value?.ToString()))));
            _listener.Start();
        }

        public long Sum(string value, string source) =>
            Measurements.Where(m => m.Tags["metrics_optout"] == value && m.Tags["source"] == source).Sum(m => m.Value);

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task Setting_true_or_false_counts_and_null_does_not()
    {
        await using var host = await StartAsync();
        using var recorded = new Recorded(host.App.Services.GetRequiredService<IMeterFactory>());
        await host.SetOwnAsync("alice", true);
        await host.SetOwnAsync("bob", false);
        await host.SetOwnAsync("carol", false);
        await host.SetOwnAsync("alice", null);
        Assert.Equal(1, recorded.Sum("true", "user"));
        Assert.Equal(2, recorded.Sum("false", "user"));
        Assert.Equal(3, recorded.Measurements.Sum(m => m.Value));
    }

    [Fact]
    public async Task Choices_made_by_the_handshake_are_counted_once_with_their_source()
    {
        await using var host = await StartAsync();
        using var recorded = new Recorded(host.App.Services.GetRequiredService<IMeterFactory>());
        await host.GetOwnAsync("alice", gpc: true);
        await host.GetOwnAsync("alice", gpc: true);
        using (await host.SendAsync(Request(HttpMethod.Post, "/probe/signin?user=bob", dnt: true))) { }
        using (await host.SendAsync(Request(HttpMethod.Post, "/probe/signin?user=bob", dnt: true))) { }
        Assert.Equal(1, recorded.Sum("true", "browser_signal"));
        Assert.Equal(1, recorded.Sum("true", "sign_in"));
        Assert.Equal(2, recorded.Measurements.Count);
    }

    [Fact]
    public async Task The_counter_carries_no_user_id()
    {
        await using var host = await StartAsync();
        using var recorded = new Recorded(host.App.Services.GetRequiredService<IMeterFactory>());
        await host.SetOwnAsync("alice-unique-id", true);
        await host.GetOwnAsync("bob-unique-id", dnt: true);
        Assert.NotEmpty(recorded.Measurements);
        Assert.All(recorded.Measurements, m =>
        {
            Assert.Equal(["metrics_optout", "source"], m.Tags.Keys.Order());
            Assert.DoesNotContain(m.Tags.Values, v => v!.Contains("unique-id"));
        });
    }
}
