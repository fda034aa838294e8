using System.Text.Json;
using Candor.Client;
using Candor.Registry;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Client;

/// <summary>
/// A daily metric counts at most one report per device and day, whatever the app calls and whatever the
/// clock does: the daily-actives figure is a count of reports, so a second report for a day is a second
/// device. The app here hammers a daily counter (and the built-in <c>candor.active</c>) through calls late
/// in a day, a midnight crossed with unflushed calls, restarts, and the clock set back to a day that was
/// already sealed and sent, with split uploads sealing each period as soon as it ends. Every request the
/// real collector received is read off the wire and the reports are counted per metric and period.
/// Control: the same run with the sealed-period guard off sends day 1 twice.
/// </summary>
public sealed class DailyReportCountTests : IDisposable
{
    private readonly ClientTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    private static readonly string DailyRegistry = TestRegistries.V1.Replace(
        "    type: counter\n    category: usage\n    period: week", "    type: counter\n    category: usage\n    period: day");

    [Fact]
    public async Task A_daily_metric_is_reported_once_per_day_across_late_calls_midnight_restarts_and_a_clock_set_back()
    {
        var sent = await RunAsync(guard: true);
        Assert.All(sent, p => Assert.True(p.Value == 1, $"{p.Key} was reported {p.Value} times"));
        Assert.Equal(1, sent[("candor.active", "2026-11-18")]);
        Assert.Equal(1, sent[("candor.active", "2026-11-19")]);
        Assert.Equal(1, sent[("app.launches", "2026-11-18")]);
        Assert.Equal(1, sent[("app.launches", "2026-11-19")]);
    }

    [Fact]
    public async Task Without_the_sealed_period_guard_the_day_the_clock_went_back_to_is_reported_twice()
    {
        var sent = await RunAsync(guard: false);
        Assert.Equal(2, sent[("candor.active", "2026-11-18")]);
        Assert.Equal(2, sent[("app.launches", "2026-11-18")]);
    }

    /// <summary>Reports received by the collector, counted per (metric, period).</summary>
    private async Task<Dictionary<(string, string), int>> RunAsync(bool guard)
    {
        var file = Path.Combine(_kit.DataDirectory, "daily.yaml");
        await File.WriteAllTextAsync(file, DailyRegistry);
        await using var collector = await CollectorHost.StartAsync(o => o.RegistryFiles = [file], clockStart: ClientTestKit.Wednesday);
        var tap = new WireTap();
        var registry = RegistryParser.Parse(DailyRegistry, "daily.yaml");
        Assert.Equal(MetricPeriod.Day, registry.FindMetric("app.launches")!.Period);
        CandorClient Start()
        {
            var options = _kit.Options(collector.BaseAddress, tap, registry);
            options.SplitUploads = true; // each ended period is sealed at the next cycle, not days later
            options.GuardSealedPeriods = guard;
            return CandorClient.Create(options);
        }
        void At(DateTimeOffset t)
        {
            _kit.Clock.Set(t);
            collector.Clock.Set(t);
        }
        async Task Hammer(CandorClient c, int calls)
        {
            for (int i = 0; i < calls; i++)
            {
                c.Counter("app.launches").Increment();
                if (i % 7 == 0)
                    c.Flush();
            }
            await c.UploadAsync();
        }

        var client = Start();
        try
        {
            client.GrantConsent();
            At(new(2026, 11, 18, 10, 0, 0, TimeSpan.Zero));
            await Hammer(client, 30);
            // A restart on the same day: the activity flag is marked again, and must merge.
            client.Dispose();
            client = Start();
            At(new(2026, 11, 18, 15, 0, 0, TimeSpan.Zero));
            await Hammer(client, 20);
            // Calls a second before midnight, not flushed until after it: they count for day 1.
            At(new(2026, 11, 18, 23, 59, 59, TimeSpan.Zero));
            for (int i = 0; i < 5; i++) client.Counter("app.launches").Increment();
            At(new(2026, 11, 19, 0, 0, 1, TimeSpan.Zero));
            await client.UploadAsync(); // day 1 has ended: sealed now
            await Hammer(client, 10);
            At(new(2026, 11, 19, 12, 0, 0, TimeSpan.Zero));
            await Hammer(client, 10);
            // The clock is set back to day 1, already sealed, and the app restarts and keeps calling.
            At(new(2026, 11, 18, 22, 0, 0, TimeSpan.Zero));
            await Hammer(client, 10);
            client.Dispose();
            client = Start();
            await Hammer(client, 10);
            // Back to the right time; day 2 ends and is sealed too.
            At(new(2026, 11, 19, 13, 0, 0, TimeSpan.Zero));
            await Hammer(client, 10);
            At(new(2026, 11, 20, 1, 0, 0, TimeSpan.Zero));
            await client.UploadAsync();
            // Let every part go: each waits for its own random moment.
            var t = new DateTimeOffset(2026, 11, 20, 2, 0, 0, TimeSpan.Zero);
            for (int round = 0; round < 60 && client.Pending().Count > 0; round++)
            {
                t = t.AddHours(6);
                At(t);
                await client.UploadAsync();
            }
            Assert.Empty(client.Pending());
        }
        finally
        {
            client.Dispose();
        }

        var counts = new Dictionary<(string, string), int>();
        foreach (var (body, _) in tap.Requests)
        {
            if (body.Length == 0 || body[0] != (byte)'{')
                continue;
            using var json = JsonDocument.Parse(body);
            if (!json.RootElement.TryGetProperty("reports", out var reports))
                continue;
            foreach (var r in reports.EnumerateArray())
            {
                var key = (r.GetProperty("metric").GetString()!, r.GetProperty("period").GetString()!);
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        }
        return counts;
    }
}
