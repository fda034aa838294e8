using Candor.Client;
using Candor.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Candor.Tests.Client;

/// <summary>
/// The client on a really full disk (a small tmpfs filled to the last page): no public call throws into
/// the app (before, <c>Create</c>, <c>Flush</c> and <c>UploadAsync</c> threw SqliteException), the fault
/// is logged once for the whole episode, what is recorded meanwhile waits in memory, and once space
/// returns it is written and uploaded with nothing lost.
/// </summary>
public sealed class FullDiskClientTests : IDisposable
{
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private readonly ClientTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    [SmallFilesystemFact]
    public async Task On_a_full_disk_no_call_throws_the_fault_is_logged_once_and_everything_recorded_is_sent_when_space_returns()
    {
        using var fs = SmallFilesystem.Mount(16);
        await using var collector = await CollectorHost.StartAsync();
        var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        CandorClientOptions Options(string folder)
        {
            var o = _kit.Options(collector.BaseAddress);
            o.DataDirectory = Path.Combine(fs.Path, folder);
            return o;
        }

        using var client = CandorClient.Create(Options("app"), loggers.CreateLogger("app"));
        client.GrantConsent();
        client.Counter("app.launches").Increment();
        client.Flush();

        fs.Fill();
        // Every public call an app makes while the disk is full: none throws.
        for (int i = 0; i < 6; i++)
        {
            client.Counter("app.launches").Increment();
            client.Enum("system.os").Set("linux");
            client.Flush();
            await client.FlushAsync();
            Assert.NotNull(await client.UploadAsync());
            client.Status();
            client.Show();
        }
        // A second app starting on the full disk, with a data directory it cannot even create.
        using (var starting = CandorClient.Create(Options("starting"), loggers.CreateLogger("starting")))
        {
            starting.GrantConsent();
            starting.Counter("app.launches").Increment();
            starting.Flush();
            Assert.Equal("local store unavailable", (await starting.UploadAsync()).Status);
        }
        var warnings = logs.Lines.Where(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("cannot be written")).ToList();
        Assert.True(warnings.Count == 2, "one warning per client for the whole episode:\n" + string.Join("\n", logs.Lines));

        fs.Free(4);
        client.Flush();
        Assert.Contains(logs.Lines, l => l.Contains("can be written again"));
        Assert.Contains(client.Log(), e => e.Message.Contains("can be written again"));
        var launches = Assert.Single(client.Show(), i => i.Metric == "app.launches");
        Assert.Contains("7", launches.Summary); // 1 before the disk filled + 6 while it was full: none lost

        _kit.Clock.Set(NextMonday);
        var cycle = await client.UploadAsync();
        Assert.Equal(1, cycle.Sent);
        Assert.Contains(await collector.Store.ReadRawAsync(TestRegistries.App), r => r.Metric == "system.os" && r.Value == "linux");
    }

    [SmallFilesystemFact]
    public void A_no_on_a_full_disk_holds_at_once_and_erases_the_unsent_data_once_space_returns()
    {
        using var fs = SmallFilesystem.Mount(16);
        var options = _kit.Options();
        options.DataDirectory = Path.Combine(fs.Path, "app");
        using var client = CandorClient.Create(options);
        client.GrantConsent();
        client.Counter("app.launches").Increment();
        client.Flush();
        Assert.NotEmpty(client.Show());

        fs.Fill();
        client.Counter("app.launches").Increment();
        client.Flush(); // waits in memory
        client.DenyConsent(); // the answer cannot be saved: it holds in memory
        Assert.False(client.Consent.IsGranted);
        client.Counter("app.launches").Increment();
        client.Flush();
        Assert.False(client.Consent.IsGranted);

        fs.Free(4);
        client.Flush(); // saves the answer, erases what was kept
        Assert.False(client.Consent.IsGranted);
        Assert.Empty(client.Show());
        Assert.Equal(Candor.Client.Consent.ConsentState.Denied, Candor.Client.Consent.ConsentRecord.Load(options.DataDirectory).State); // saved now
    }
}
