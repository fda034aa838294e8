using System.Diagnostics;
using System.Net;
using Candor.Collector.Storage.Sqlite;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Candor.Tests.Reliability;

/// <summary>
/// A full disk, for real: the SQLite collector runs on a 64 MiB tmpfs that the test fills to the last
/// page. While full, every batch is answered 503 with Retry-After and nothing half-written; once 16 MiB
/// are freed the collector accepts again within seconds and keeps accepting (the WAL no longer refills
/// the freed space), and every batch acknowledged with a 202 is in the database afterwards.
/// </summary>
public sealed class FullDiskTests(ITestOutputHelper output)
{
    [SmallFilesystemFact]
    public async Task After_the_disk_fills_the_collector_answers_503_and_heals_once_16_MiB_are_free_losing_nothing_acknowledged()
    {
        using var fs = SmallFilesystem.Mount(64);
        var dir = Path.Combine(fs.Path, "collector");
        long acknowledged = 0;
        await using (var host = await CollectorHost.StartAsync(o => o.RetryAfterSeconds = 7, directory: dir))
        {
            async Task<HttpResponseMessage> PostAsync()
            {
                var response = await host.PostAsync(TestRegistries.FullBatch);
                if (response.StatusCode == HttpStatusCode.Accepted)
                    acknowledged++;
                return response;
            }

            for (int i = 0; i < 200; i++)
                Assert.Equal(HttpStatusCode.Accepted, (await PostAsync()).StatusCode);

            fs.Fill();
            output.WriteLine($"filled: {fs.FreeBytes} bytes free");
            // Until the WAL needs a page it does not have, commits may still fit; then every answer is 503.
            HttpResponseMessage? refused = null;
            for (int i = 0; i < 20_000 && refused is null; i++)
            {
                var r = await PostAsync();
                if (r.StatusCode != HttpStatusCode.Accepted)
                    refused = r;
            }
            Assert.NotNull(refused);
            await Problem.AssertAsync(refused, HttpStatusCode.ServiceUnavailable, "store-unavailable");
            Assert.Equal(TimeSpan.FromSeconds(7), refused.Headers.RetryAfter!.Delta);
            for (int i = 0; i < 20; i++)
                Assert.Equal(HttpStatusCode.ServiceUnavailable, (await PostAsync()).StatusCode);

            fs.Free(16);
            var clock = Stopwatch.StartNew();
            while ((await PostAsync()).StatusCode != HttpStatusCode.Accepted)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the collector did not accept again within 10 s of 16 MiB being freed");
                await Task.Delay(50);
            }
            output.WriteLine($"accepting again after {clock.ElapsedMilliseconds} ms");

            // And it stays healthy: thousands more batches (several WAL checkpoints' worth) in the freed 16 MiB.
            for (int i = 0; i < 3000; i++)
                Assert.Equal(HttpStatusCode.Accepted, (await PostAsync()).StatusCode);
            output.WriteLine($"{acknowledged} batches acknowledged, {fs.FreeBytes} bytes free at the end");
        }

        SqliteConnection.ClearAllPools();
        await using var reopened = new SqliteReportStore(Path.Combine(dir, "candor.db"));
        await reopened.MigrateAsync();
        var launches = (await reopened.ReadRawAsync(TestRegistries.App)).Single(r => r.Metric == "app.launches");
        Assert.Equal(acknowledged, launches.Reports); // one app.launches report per acknowledged batch, no more, no fewer
    }
}
