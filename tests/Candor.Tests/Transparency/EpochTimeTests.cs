using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Candor.Client;
using Candor.Client.Transparency;
using Candor.Collector;
using Candor.Collector.Hosting;
using Candor.Collector.Transparency;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;
using Candor.Transparency;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Tests.Transparency;

/// <summary>
/// The device's view of time passing on both sides, driven by fake clocks (nothing sleeps for an hour):
/// its reports are pending until the collector's epoch timer seals them, then proved; a report the
/// collector drops before its epoch is pending at first and missing once <see cref="CandorClientOptions.LogMissingAfter"/> has passed.
/// </summary>
public sealed class EpochTimeTests : IDisposable
{
    private readonly ClientTestKit _kit = new();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));

    public void Dispose()
    {
        _kit.Dispose();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Reports_wait_for_the_hourly_epoch_and_one_the_collector_dropped_turns_missing_after_a_week()
    {
        var registries = TestRegistries.WriteFiles(Path.Combine(_directory, "registries"));
        var collectorClock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        var options = new CollectorOptions
        {
            Database = Path.Combine(_directory, "candor.db"),
            Urls = ["http://127.0.0.1:0"],
            OperatorUrls = ["http://127.0.0.1:0"],
            RegistryFiles = [Path.Combine(registries, "test-v1.yaml")],
            RateLimitPerAddressPerSecond = 0,
        };
        options.Transparency.EpochSpread = 1; // every entry due in the next epoch: this is about the device's patience
        options.Transparency.MinEpochBatches = 10; // the former default: the test's few batches seal at the hourly tick
        await using var app = await CollectorApp.BuildAsync(options, time: collectorClock);
        await app.StartAsync();
        var url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var http = new HttpClient { BaseAddress = url };
        var sealer = app.Services.GetRequiredService<EpochSealer>();

        var deviceOptions = _kit.Options(url);
        deviceOptions.LogKey = (await http.GetStringAsync("/v1/log/key")).Trim();
        using var device = CandorClient.Create(deviceOptions);
        device.GrantConsent();
        ClientTestKit.RecordSomething(device);
        _kit.Clock.Set(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        Assert.Equal(1, (await device.UploadAsync()).Sent);
        for (int i = 0; i < 9; i++) // nine more installations: the default epoch needs ten batches
        {
            var content = new StringContent(LogKit.Batch(TestRegistries.App, LogEndToEndTests.Linux).Body, Encoding.UTF8);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
            Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsync($"/v1/apps/{TestRegistries.App}/reports", content)).StatusCode);
        }

        // The operator drops this device's system.os report before the epoch (from the pending set).
        var dropped = device.Receipts().Single(r => r.Metric == "system.os");
        Assert.True(ReportCommitment.TryDecode(dropped.Commitment, out var droppedCommitment));
        using (var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = options.Database, Pooling = false }.ToString()))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "DELETE FROM log_pending WHERE entry = $e;";
            cmd.Parameters.AddWithValue("$e", new LogEntry(LogEntryKind.Report, droppedCommitment).ToBytes());
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }

        Assert.All((await device.VerifyReportsAsync()).Receipts, c => Assert.Equal(ReceiptVerdict.Pending, c.Verdict));

        collectorClock.Advance(TimeSpan.FromHours(1));
        for (int i = 0; i < 100 && sealer.Epochs == 0; i++)
            await Task.Delay(20); // the timer's continuation runs on the thread pool
        Assert.Equal(1, sealer.Epochs);
        _kit.Clock.Advance(TimeSpan.FromHours(1));

        var sealedNow = await device.VerifyReportsAsync();
        Assert.Null(sealedNow.Alarm);
        Assert.Equal(ReceiptVerdict.Pending, sealedNow.Receipts.Single(c => c.Receipt.Commitment == dropped.Commitment).Verdict);
        Assert.All(sealedNow.Receipts.Where(c => c.Receipt.Commitment != dropped.Commitment), c => Assert.Equal(ReceiptVerdict.Included, c.Verdict));

        _kit.Clock.Advance(TimeSpan.FromDays(7));
        var weekLater = await device.VerifyReportsAsync();
        var missing = weekLater.Receipts.Single(c => c.Receipt.Commitment == dropped.Commitment);
        Assert.Equal(ReceiptVerdict.Missing, missing.Verdict);
        Assert.Contains("the collector dropped it", missing.Detail);
        await app.StopAsync();
    }
}
