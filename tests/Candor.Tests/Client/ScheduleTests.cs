using System.Net;
using System.Text;
using Candor.Client;
using Candor.Client.Upload;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Client;

/// <summary>
/// The device decides when it speaks: a collector's hint is clamped, cut to whole days and jittered on
/// the device, so no answer can pick a device's next moment or tag it for recognition.
/// </summary>
public sealed class ScheduleTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private readonly ClientTestKit _kit = new();
    public void Dispose() => _kit.Dispose();

    private static CandorClientOptions Defaults(int seed = 1) => new() { Random = new Random(seed) };

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3600)]
    [InlineData(3 * 86400 + 17)]
    [InlineData(45 * 86400)]
    [InlineData(366L * 86400)]
    public void No_collector_hint_puts_the_next_upload_outside_the_clients_bounds(long hintSeconds)
    {
        var o = Defaults();
        for (int i = 0; i < 200; i++)
        {
            var next = UploadSchedule.After(Now, TimeSpan.FromSeconds(hintSeconds), o);
            Assert.InRange(next, Now + o.MinUploadInterval, Now + o.MaxUploadInterval + o.ReportbackJitter);
        }
    }

    [Fact]
    public void Hints_that_differ_by_less_than_a_day_give_the_same_schedule()
    {
        // A collector tags installation A with 3 days + 1 s and B with 3 days + 7 h: the tag does not survive.
        var a = UploadSchedule.After(Now, TimeSpan.FromSeconds(3 * 86400 + 1), Defaults(seed: 42));
        var b = UploadSchedule.After(Now, TimeSpan.FromSeconds(3 * 86400 + 7 * 3600), Defaults(seed: 42));
        Assert.Equal(a, b);
    }

    [Fact]
    public void A_collector_can_sort_installations_into_at_most_ten_whole_day_groups()
    {
        var o = Defaults();
        var groups = Enumerable.Range(0, 30 * 24 * 60).Select(minute => UploadSchedule.Bounded(TimeSpan.FromMinutes(minute), o)).Distinct().ToList();
        Assert.Equal(10, groups.Count); // 1 to 10 days with the default bounds
        Assert.All(groups, g => Assert.Equal(0, g.Ticks % TimeSpan.TicksPerDay));
    }

    [Fact]
    public void Within_a_group_the_device_spreads_its_moment_over_the_whole_jitter()
    {
        var o = Defaults();
        var waits = Enumerable.Range(0, 500).Select(_ => (UploadSchedule.After(Now, TimeSpan.FromDays(3), o) - Now).TotalDays).ToList();
        Assert.InRange(waits.Min(), 3.0, 3.1);
        Assert.InRange(waits.Max(), 5.9, 6.0);
    }

    [Fact]
    public async Task Two_clients_told_apart_by_a_hostile_collector_come_back_at_the_same_moment()
    {
        // The "collector" answers each client's upload with its own tag in next_report_after_seconds.
        var times = new List<DateTimeOffset?>();
        foreach (var tag in new[] { 259_201L, 259_200L + 40_000 })
        {
            using var kit = new ClientTestKit();
            var tap = new WireTap
            {
                Intercept = _ => new HttpResponseMessage(HttpStatusCode.Accepted)
                {
                    Content = new StringContent($$"""{"accepted":7,"next_report_after_seconds":{{tag}}}""", Encoding.UTF8, "application/json"),
                },
            };
            using var client = kit.Create(new Uri("http://127.0.0.1:9/"), tap);
            client.GrantConsent();
            ClientTestKit.RecordSomething(client);
            kit.Clock.Set(Now);
            var cycle = await client.UploadAsync();
            Assert.Equal("sent", cycle.Status);
            times.Add(cycle.NextUploadAt);
        }
        Assert.Equal(times[0], times[1]);
    }

    [Fact]
    public void Fetches_are_drawn_apart_from_uploads_around_the_interval()
    {
        var o = Defaults();
        var fetches = Enumerable.Range(0, 200).Select(_ => UploadSchedule.NextFetch(Now, o) - Now).ToList();
        Assert.All(fetches, f => Assert.InRange(f, o.AnnouncementInterval / 2, o.AnnouncementInterval * 1.5));
        Assert.True(fetches.Distinct().Count() > 190);
    }

    [Theory]
    [InlineData(-1, 1)]
    [InlineData(2, 1)]
    public void Bounds_that_contradict_each_other_are_refused(int minDays, int maxDays)
    {
        var options = _kit.Options();
        options.MinUploadInterval = TimeSpan.FromDays(minDays);
        options.MaxUploadInterval = TimeSpan.FromDays(maxDays);
        var e = Assert.Throws<ArgumentException>(() => CandorClient.Create(options));
        Assert.Contains("MinUploadInterval", e.Message);
    }
}
