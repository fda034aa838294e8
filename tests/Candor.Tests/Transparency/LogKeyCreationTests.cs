using Candor.Collector.Transparency;
using Candor.Tests.Infrastructure;
using Candor.Transparency;

namespace Candor.Tests.Transparency;

/// <summary>
/// Collectors that start at the same moment on one fresh key path (scaled containers on a shared volume)
/// all start and agree on one log key. The key used to be created empty and written afterwards, and a
/// second collector reading it in between stopped with "No supported key formats were found"
/// (a CI failure of <c>SeveralCollectorsTests</c>).
/// </summary>
public sealed class LogKeyCreationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-log-key-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Concurrent_first_loads_of_one_fresh_key_path_all_return_the_same_complete_key()
    {
        const int Rounds = 100, Loaders = 6;
        for (int round = 0; round < Rounds; round++)
        {
            var folder = Path.Combine(_dir, $"round-{round}");
            var path = Path.Combine(folder, "log-key.pem");
            using var start = new Barrier(Loaders);
            var keys = new string[Loaders];
            var threads = Enumerable.Range(0, Loaders).Select(i => new Thread(() =>
            {
                start.SignalAndWait();
                keys[i] = NoteVerifierKey.Format(LogKey.LoadOrCreate(path, "log.example/candor-log"));
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());

            Assert.Single(keys.Distinct());
            Assert.Equal(keys[0], NoteVerifierKey.Format(LogKey.LoadOrCreate(path, "log.example/candor-log")));
            // The losers' temporary files are gone; only the key is left, private.
            Assert.Equal([path], Directory.GetFiles(folder));
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public async Task Collectors_started_together_on_one_fresh_key_path_all_start_and_serve_one_key()
    {
        const int Rounds = 8, Collectors = 3;
        for (int round = 0; round < Rounds; round++)
        {
            var shared = Path.Combine(_dir, $"shared-{round}");
            var starting = Enumerable.Range(0, Collectors).Select(_ => CollectorHost.StartAsync(o => o.DataDirectory = shared)).ToList();
            var hosts = new List<CollectorHost>();
            try
            {
                foreach (var s in starting)
                    hosts.Add(await s);
                var served = await Task.WhenAll(hosts.Select(h => h.Client.GetStringAsync("/v1/log/key")));
                Assert.Single(served.Distinct());
                Assert.Equal(served[0].Trim(), NoteVerifierKey.Format(LogKey.LoadOrCreate(Path.Combine(shared, "log-key.pem"), hosts[0].Options.Transparency.OriginOrDefault())));
            }
            finally
            {
                foreach (var s in starting)
                    if (s.IsCompletedSuccessfully && await s is var started && !hosts.Contains(started)) hosts.Add(started);
                foreach (var h in hosts)
                    await h.DisposeAsync();
            }
        }
    }

    [Fact]
    public void An_existing_key_is_never_replaced()
    {
        var path = Path.Combine(_dir, "log-key.pem");
        var first = NoteVerifierKey.Format(LogKey.LoadOrCreate(path, "log.example/candor-log"));
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(first, NoteVerifierKey.Format(LogKey.LoadOrCreate(path, "log.example/candor-log")));
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void The_key_defaults_to_the_data_directory_on_both_engines()
    {
        var sqlite = new Candor.Collector.CollectorOptions { Database = Path.Combine(_dir, "db", "candor.db") };
        Assert.Equal(Path.Combine(_dir, "db", "log-key.pem"), sqlite.LogKeyFile());
        var postgres = new Candor.Collector.CollectorOptions { Database = "Host=db.internal;Database=candor" };
        Assert.Equal(Path.Combine("data", "log-key.pem"), postgres.LogKeyFile());
        postgres.DataDirectory = "/var/lib/candor";
        Assert.Equal(Path.Combine("/var/lib/candor", "log-key.pem"), postgres.LogKeyFile());
        postgres.Transparency.KeyFile = "/etc/candor/log-key.pem";
        Assert.Equal("/etc/candor/log-key.pem", postgres.LogKeyFile());
    }
}
