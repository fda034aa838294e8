using Candor.Client;
using Candor.Client.Transparency;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Tests.Transparency;

/// <summary>
/// The production timers (<c>AddCandor</c>'s hosted service, on a fake clock) check each sent receipt in
/// the background: every receipt alone, at its own moment, against the real collector's log.
/// </summary>
public sealed class HostedReceiptChecksTests : IDisposable
{
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private readonly ClientTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    [Fact]
    public async Task The_background_timer_proves_each_receipt_in_its_own_request_at_its_own_moment()
    {
        await using var collector = await CollectorHost.StartAsync(clockStart: NextMonday);
        var clock = new FakeTimeProvider(ClientTestKit.Wednesday);
        var lookups = new List<(DateTimeOffset At, string Commitment)>();
        var tap = new WireTap
        {
            Intercept = request =>
            {
                if (request.RequestUri!.AbsolutePath == "/v1/log/inclusion")
                    lock (lookups)
                        lookups.Add((clock.GetUtcNow(), request.RequestUri.Query.Split("commitment=")[1].Split('&')[0]));
                return null; // and on to the collector
            },
        };
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Candor:DataDirectory"] = _kit.DataDirectory,
            ["Candor:CollectorUrl"] = collector.BaseAddress.AbsoluteUri,
            ["Candor:LogKey"] = (await collector.Client.GetStringAsync("/v1/log/key")).Trim(),
            ["Candor:LogMissingAfter"] = "1.00:00:00",
            ["Candor:LogCheckWindow"] = "1.00:00:00",
        });
        builder.Services.AddCandor(builder.Configuration.GetSection("Candor"), o =>
        {
            o.Registry = ClientTestKit.V1;
            o.TimeProvider = clock;
            o.Environment = name => _kit.Environment.GetValueOrDefault(name);
            o.PolicyFile = _kit.PolicyFile;
            o.Random = new Random(5);
            o.HttpMessageHandler = tap;
            o.FirstUploadDelayMin = o.FirstUploadDelayMax = TimeSpan.Zero;
            o.RecordActivity = false; // no new days to send while the test waits for the checks
        });
        using var host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<CandorClient>();
        client.GrantConsent();
        ClientTestKit.RecordSomething(client);
        clock.SetUtcNow(NextMonday);
        // The upload itself is not what this test is about: the closed week goes now (by this call or the
        // timer's tick the clock's jump fired, whichever runs first), and is sealed into the log.
        await client.UploadAsync();
        Assert.NotEmpty(client.Sent());
        await LogKit.SealAsync(collector);
        var receipts = client.Receipts().Count;

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (client.Receipts().Any(r => r.Status != ReceiptStatus.Included))
        {
            Assert.True(DateTime.UtcNow < deadline && clock.GetUtcNow() < NextMonday.AddDays(4),
                $"{client.Receipts().Count(r => r.Status == ReceiptStatus.Included)} of {receipts} proved: " + string.Join(" | ", client.Log().Select(l => l.Message)));
            clock.Advance(TimeSpan.FromHours(1));
            await Task.Delay(30); // the tick's check runs on the thread pool against a real socket
        }

        // One lookup per receipt, each alone: no two in one tick, none before a day had passed.
        Assert.Equal(receipts, lookups.Count);
        Assert.Equal(receipts, lookups.Select(l => l.Commitment).Distinct().Count());
        Assert.Equal(receipts, lookups.Select(l => l.At).Distinct().Count());
        Assert.All(lookups, l => Assert.True(l.At >= NextMonday.AddDays(1)));
        await host.StopAsync();
    }
}
