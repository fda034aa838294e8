using Candor.Client;
using Candor.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Tests.Client;

/// <summary>
/// <c>AddCandor</c> in a real generic host: options from configuration validated at start-up, the
/// production timers run as a hosted service (driven here by a fake clock), logs go to the host's ILogger.
/// </summary>
public sealed class HostedClientTests : IDisposable
{
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private readonly ClientTestKit _kit = new();
    private readonly CapturingLoggerProvider _logs = new();
    public void Dispose() => _kit.Dispose();

    private IHost Build(Dictionary<string, string?> settings, TimeProvider time, Action<CandorClientOptions>? more = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(_logs);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddCandor(builder.Configuration.GetSection("Candor"), o =>
        {
            // What configuration cannot carry: the parsed registry, the clock and a test environment.
            o.Registry = ClientTestKit.V1;
            o.TimeProvider = time;
            o.Environment = name => _kit.Environment.GetValueOrDefault(name);
            o.PolicyFile = _kit.PolicyFile;
            o.Random = new Random(3);
            more?.Invoke(o);
        });
        return builder.Build();
    }

    [Fact]
    public async Task Bad_options_stop_the_host_at_start_up_with_every_problem_named()
    {
        using var host = Build(new()
        {
            ["Candor:DataDirectory"] = "",
            ["Candor:CollectorUrl"] = "ftp://example.org/",
            ["Candor:MaxOutboxBatches"] = "0",
        }, TimeProvider.System);

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(e.Failures, f => f.Contains("DataDirectory is required"));
        Assert.Contains(e.Failures, f => f.Contains("CollectorUrl must be an absolute http or https URL"));
        Assert.Contains(e.Failures, f => f.Contains("MaxOutboxBatches must be at least 1"));
    }

    [Fact]
    public async Task Building_the_container_starts_no_timer_the_host_does()
    {
        var clock = new FakeTimeProvider(ClientTestKit.Wednesday);
        using var host = Build(new() { ["Candor:DataDirectory"] = _kit.DataDirectory }, clock);
        var client = host.Services.GetRequiredService<CandorClient>();
        client.GrantConsent();
        client.Counter("app.launches").Increment();

        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0, client.Status().CollectedEntries); // no flush timer before the host starts

        await host.StartAsync();
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.NotEqual(0, client.Status().CollectedEntries);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_production_timers_flush_and_upload_to_a_real_collector_on_a_fake_clock()
    {
        await using var collector = await CollectorHost.StartAsync(clockStart: NextMonday);
        var clock = new FakeTimeProvider(ClientTestKit.Wednesday);
        using var host = Build(new()
        {
            ["Candor:DataDirectory"] = _kit.DataDirectory,
            ["Candor:CollectorUrl"] = collector.BaseAddress.AbsoluteUri,
            ["Candor:Transport"] = "Direct",
            ["Candor:FirstUploadDelayMin"] = "00:00:00",
            ["Candor:FirstUploadDelayMax"] = "06:00:00",
            // The collector's hint (3 to 10 days) is bounded to one day here, so the closed week goes out soon after Monday.
            ["Candor:MinUploadInterval"] = "1.00:00:00",
            ["Candor:MaxUploadInterval"] = "1.00:00:00",
            ["Candor:ReportbackJitter"] = "06:00:00",
        }, clock);
        await host.StartAsync();
        var client = host.Services.GetRequiredService<CandorClient>();
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);

        // Days pass an hour at a time; the hosted timers flush, seal the closed week and upload it.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!(client.Status().PendingBatches == 0 && client.Sent().Any(b => b.Body.Contains("app.launches"))))
        {
            Assert.True(DateTime.UtcNow < deadline, "the scheduled upload never reached the collector");
            Assert.True(clock.GetUtcNow() < NextMonday.AddDays(3), "the closed week was not uploaded within the bounded wait: "
                + string.Join(" | ", client.Log().Select(l => l.Message)) + " | sent " + client.Sent().Count + " pending " + client.Status().PendingBatches);
            if (clock.GetUtcNow() < NextMonday.AddDays(1))
            {
                clock.Advance(TimeSpan.FromHours(1));
                await Task.Delay(20); // the tick's upload runs on the thread pool against a real socket
            }
            else
            {
                // Past the latest due time: give an upload in flight real time (a loaded machine is slow)
                // before moving the clock on, so the fake day cannot run ahead of the real socket.
                await Task.Delay(250);
                clock.Advance(TimeSpan.FromMinutes(10));
            }
        }

        Assert.Contains(await collector.Store.ReadRawAsync(TestRegistries.App), r => r.Metric == "app.launches");
        var candorLines = _logs.Lines.Where(l => l.Contains("Candor")).ToList();
        Assert.Contains(candorLines, l => l.Contains("Candor sent 1 batch(es)"));
        // The host's log never carries a recorded value (7 launches, "linux", 130 ms).
        Assert.DoesNotContain(candorLines, l => l.Contains("linux") || l.Contains("130") || l.Contains("app.launches"));
        await host.StopAsync();
    }

    [Fact]
    public async Task The_hosts_log_gets_the_status_of_a_refusal_never_the_collectors_answer()
    {
        // A collector's problem answer may quote a refused value; the user's local log keeps it, the host's log must not.
        var tap = new WireTap
        {
            Intercept = _ => new HttpResponseMessage(System.Net.HttpStatusCode.BadRequest)
            {
                Content = new StringContent("""{"title":"Invalid reports","errors":[{"metric":"system.os","reason":"'linux' is not allowed"}]}""",
                    System.Text.Encoding.UTF8, "application/problem+json"),
            },
        };
        using var client = CandorClient.Create(_kit.Options(new Uri("http://127.0.0.1:9/"), tap), _logs.CreateLogger("Candor.Client.CandorClient"));
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        _kit.Clock.Set(NextMonday);

        Assert.Equal(1, (await client.UploadAsync()).Dropped);

        Assert.Contains(client.Log(), l => l.Message.Contains("'linux' is not allowed"));
        Assert.Contains(_logs.Lines, l => l.Contains("refused for good: 400"));
        Assert.DoesNotContain(_logs.Lines, l => l.Contains("linux"));
    }

    [Fact]
    public async Task The_production_timers_send_fetches_and_uploads_at_different_moments()
    {
        var dir = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
        await using var collector = await CollectorHost.StartAsync(o => o.AnnouncementsDirectory = Path.Combine(dir, "announcements"), clockStart: NextMonday);
        using var key = Candor.Announcements.AnnouncementKeys.Generate();
        var source = Candor.Announcements.AnnouncementSource.Load(collector.Options.AnnouncementsDirectory!, TestRegistries.App);
        source.ReportbackNext = 0; // no hint: the first upload follows the first closed day
        source.Publish(collector.Options.AnnouncementsDirectory!, key, ClientTestKit.Wednesday);
        var clock = new FakeTimeProvider(ClientTestKit.Wednesday);
        var moments = new TimedTap(clock);
        using var host = Build(new()
        {
            ["Candor:DataDirectory"] = _kit.DataDirectory,
            ["Candor:CollectorUrl"] = collector.BaseAddress.AbsoluteUri,
            ["Candor:FirstUploadDelayMin"] = "00:00:00",
            ["Candor:FirstUploadDelayMax"] = "00:00:00",
        }, clock, o =>
        {
            o.HttpMessageHandler = moments;
            o.AnnouncementKeys = [key.ExportSubjectPublicKeyInfoPem()];
        });
        await host.StartAsync();
        var client = host.Services.GetRequiredService<CandorClient>();
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!(moments.Fetches.Count >= 2 && moments.Uploads.Count >= 1))
        {
            Assert.True(DateTime.UtcNow < deadline && clock.GetUtcNow() < ClientTestKit.Wednesday.AddDays(5), $"expected two fetches and an upload: {moments.Fetches.Count} {moments.Uploads.Count} " + string.Join(" | ", client.Log().Select(l => l.Message)));
            clock.Advance(TimeSpan.FromHours(1));
            await Task.Delay(20);
        }
        Assert.Empty(moments.Fetches.Intersect(moments.Uploads)); // never in the same tick
        await host.StopAsync();
    }

    /// <summary>Notes the fake-clock moment of every request, by kind, and passes it on to the real collector.</summary>
    private sealed class TimedTap(TimeProvider clock) : DelegatingHandler(new SocketsHttpHandler())
    {
        public List<DateTimeOffset> Fetches { get; } = [];
        public List<DateTimeOffset> Uploads { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var list = request.Method == HttpMethod.Get ? Fetches : Uploads;
            lock (list) list.Add(clock.GetUtcNow());
            return base.SendAsync(request, cancellationToken);
        }
    }
}
