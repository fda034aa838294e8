using Candor.Client;

namespace Candor.Tests.Client;

/// <summary>Issue 8, part 6: a year offline with default limits keeps the data directory small.</summary>
public sealed class OfflineBoundsTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly ClientTestKit _kit = new();
    public void Dispose() => _kit.Dispose();

    [Fact]
    public async Task A_year_offline_with_daily_use_keeps_the_data_directory_under_10_MB()
    {
        // Default limits, every metric type recorded every day, the collector unreachable all year.
        var options = _kit.Options(new Uri("http://127.0.0.1:9/"));
        options.FirstUploadDelayMin = TimeSpan.FromDays(3);
        options.FirstUploadDelayMax = TimeSpan.FromDays(10);
        using var client = CandorClient.Create(options);
        client.GrantConsent();
        long largest = 0;
        for (int day = 0; day < 365; day++)
        {
            ClientTestKit.RecordSomething(client);
            client.Flush();
            _kit.Clock.Advance(TimeSpan.FromDays(1));
            await client.UploadAsync();
            largest = Math.Max(largest, DirectorySize());
        }
        output.WriteLine($"a year offline: pending batches {client.Pending().Count}, largest data directory {largest:N0} bytes, at the end {DirectorySize():N0} bytes");
        Assert.InRange(client.Pending().Count, 1, 30);
        Assert.InRange(largest, 1, 10 * 1024 * 1024);
    }

    private long DirectorySize() =>
        Directory.EnumerateFiles(_kit.DataDirectory, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
}
