using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Candor.Collector;
using Candor.Collector.Hosting;
using Candor.Collector.Transparency;
using Candor.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Tests.Transparency;

/// <summary>Epochs follow the collector's clock: nothing is sealed before an epoch has passed, and an epoch
/// with too few batches waits for a later tick. Driven by a fake clock, so the test never sleeps for an hour.</summary>
public sealed class EpochClockTests
{
    [Fact]
    public async Task An_epoch_is_sealed_when_its_time_comes_and_only_with_enough_batches()
    {
        var directory = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
        var registries = TestRegistries.WriteFiles(Path.Combine(directory, "registries"));
        var clock = new FakeTimeProvider(TestRegistries.Now);
        var options = new CollectorOptions
        {
            Database = Path.Combine(directory, "candor.db"),
            Urls = ["http://127.0.0.1:0"],
            OperatorUrls = ["http://127.0.0.1:0"],
            RegistryFiles = [Path.Combine(registries, "test-v1.yaml")],
            RateLimitPerAddressPerSecond = 0,
        };
        options.Transparency.EpochSeconds = 3600;
        options.Transparency.MinEpochBatches = 3;
        options.Transparency.EpochSpread = 1; // every entry due in the next epoch: this is about the clock and the minimum
        await using var app = await CollectorApp.BuildAsync(options, time: clock);
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        var sealer = app.Services.GetRequiredService<EpochSealer>();

        async Task SendAsync()
        {
            var content = new StringContent(LogKit.Batch(TestRegistries.App, LogEndToEndTests.Linux).Body, Encoding.UTF8);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/v1/apps/{TestRegistries.App}/reports", content)).StatusCode);
        }
        async Task<long> TickAsync(TimeSpan by)
        {
            clock.Advance(by);
            // The timer's continuation runs on the thread pool: give it a moment to reach the store.
            for (int i = 0; i < 50 && sealer.Epochs == 0; i++)
                await Task.Delay(20);
            return sealer.Epochs;
        }

        for (int i = 0; i < 2; i++)
            await SendAsync();
        Assert.Equal(0, await TickAsync(TimeSpan.FromMinutes(59)));
        Assert.Equal(0, await TickAsync(TimeSpan.FromMinutes(1))); // an hour, but two batches: it waits
        await SendAsync();
        Assert.Equal(1, await TickAsync(TimeSpan.FromHours(1)));
        Assert.Contains("\n6\n", await client.GetStringAsync("/v1/log/checkpoint"));
        await app.StopAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }
}
