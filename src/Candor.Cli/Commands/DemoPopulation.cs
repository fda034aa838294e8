using Candor.Client;
using Candor.Registry;

namespace Candor.Cli.Commands;

/// <summary>
/// The simulated population of <c>candor demo</c>. Each installation is a real <see cref="CandorClient"/>
/// with its own data directory and clock; it is asked for consent (most say yes), then used on some days
/// of each week, and uploads over HTTP whenever its schedule says so. Installations are simulated one
/// after another over the whole period (a few at a time), so only a few local stores are open at once.
/// </summary>
internal sealed class Population(MetricRegistry registry, Uri collector, string work, int weeks, int seed, DateOnly today) : IDisposable
{
    /// <summary>
    /// OS shares: macOS is a tenth of installations and must show in the OS chart; "other" (1 %) is
    /// merged into "other (withheld)" by the publisher rather than hiding macOS with it.
    /// </summary>
    internal static readonly (string Value, double Weight)[] Oses = [("linux", 0.62), ("windows", 0.27), ("macos", 0.10), ("other", 0.01)];
    private static readonly (string Value, double Weight)[] Desktops = [("gnome", 0.45), ("kde", 0.25), ("xfce", 0.08), ("cinnamon", 0.06), ("other", 0.16)];
    private static readonly string[] FileTypes = ["text", "markdown", "python", "c", "json", "yaml", "rust", "other"];

    private int _optedIn, _optedOut, _batches, _failures;

    // One connection pool for every simulated installation: a handler per client (the library's default)
    // opened a new TCP connection per upload, and 2,000 installations spent most of the demo on handshakes.
    private readonly SocketsHttpHandler _http = new() { UseCookies = false, UseProxy = false, MaxConnectionsPerServer = 16 };

    /// <summary>
    /// Where simulated installations keep their local stores: in memory (/dev/shm) where the system has
    /// it, since each store is written about a hundred times and deleted when its installation is done;
    /// on disk the demo wrote gigabytes of short-lived WAL pages.
    /// </summary>
    private string ClientRoot { get; } = Directory.Exists("/dev/shm") && !OperatingSystem.IsWindows()
        ? Directory.CreateDirectory(Path.Combine("/dev/shm", "candor-demo-" + Path.GetFileName(work))).FullName
        : Path.Combine(work, "clients");

    public void Dispose()
    {
        _http.Dispose();
        try { Directory.Delete(ClientRoot, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public (int OptedIn, int OptedOut, int Batches, int Failures) Summary => (_optedIn, _optedOut, _batches, _failures);

    public async Task RunAsync(int installations, Action progress, CancellationToken cancellationToken)
    {
        int next = -1;
        // Client stores wait on fsync, so more workers than cores keep the CPU busy.
        var workers = Enumerable.Range(0, Math.Max(4, Environment.ProcessorCount * 4)).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < installations && !cancellationToken.IsCancellationRequested)
            {
                var dir = Path.Combine(ClientRoot, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                await SimulateAsync(i, dir, cancellationToken);
                // A finished installation's local store is never read again. Its pooled connections stayed open
                // (memory grew with every installation) and its files stayed on disk: close and delete both.
                var store = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = Path.Combine(dir, "candor-client.db"), Pooling = true };
                Microsoft.Data.Sqlite.SqliteConnection.ClearPool(new Microsoft.Data.Sqlite.SqliteConnection(store.ToString()));
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                progress();
            }
        }, cancellationToken));
        await Task.WhenAll(workers);
    }

    private async Task SimulateAsync(int index, string dir, CancellationToken cancellationToken)
    {
        var random = new Random(HashCode.Combine(seed, index));
        var firstMonday = Candor.Protocol.PeriodKey.WeekOf(today).Start.AddDays(-7 * (weeks - 1));
        // Installations arrive over the period, so adoption grows; each has a version that upgrades over time.
        int joinDay = (int)(Math.Pow(random.NextDouble(), 1.6) * (7 * weeks - 3));
        var clock = new SimulatedClock(firstMonday.AddDays(joinDay).ToDateTime(new TimeOnly(9, 0)));
        using var client = CandorClient.Create(new CandorClientOptions
        {
            Registry = registry,
            CollectorUrl = collector,
            DataDirectory = dir,
            TimeProvider = clock,
            BackgroundWork = false,
            FirstUploadDelayMin = TimeSpan.FromHours(6),
            FirstUploadDelayMax = TimeSpan.FromDays(2),
            Environment = _ => null, // the demo's own environment (CI=true, DO_NOT_TRACK) must not decide for simulated users
            PolicyFile = Path.Combine(dir, "no-policy"),
            Random = random,
            // Direct and pooled: the simulated installations live on this machine, next to the collector.
            Transport = Candor.Client.Transport.TransportMode.Direct,
            HttpMessageHandler = _http,
        });
        // The consent prompt: about 80 % say yes, 12 % no, the rest never answer (which counts as no).
        double answer = random.NextDouble();
        if (answer < 0.80) { client.GrantConsent(); Interlocked.Increment(ref _optedIn); }
        else
        {
            if (answer < 0.92) client.DenyConsent();
            Interlocked.Increment(ref _optedOut);
        }
        if (random.NextDouble() < 0.1) client.DisableCategory("performance");

        string os = Pick(random, Oses), desktop = os == "linux" ? Pick(random, Desktops) : os == "windows" ? "windows" : os == "macos" ? "macos" : "other";
        string arch = random.NextDouble() < 0.86 ? "x86_64" : "aarch64";
        double usage = 0.25 + random.NextDouble() * 0.7; // how likely the editor is used on a weekday
        bool spellcheck = random.NextDouble() < 0.45, splitView = random.NextDouble() < 0.2, dark = random.NextDouble() < 0.55;

        DateTimeOffset? nextUpload = null;
        for (var day = firstMonday.AddDays(joinDay); day <= today && !cancellationToken.IsCancellationRequested; day = day.AddDays(1))
        {
            clock.Set(day.ToDateTime(new TimeOnly(9, random.Next(0, 60))));
            bool weekend = day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
            if (random.NextDouble() < (weekend ? usage * 0.35 : usage))
            {
                int week = (day.DayNumber - firstMonday.DayNumber) / 7;
                client.Counter("app.launches").Add(1 + random.Next(3));
                client.Enum("system.os").Set(os);
                client.Enum("system.desktop").Set(desktop);
                client.Enum("system.arch").Set(arch);
                client.Enum("app.version").Set(Version(week, index, random));
                client.Quantity("system.ram_gb").Record(new[] { 4, 8, 8, 16, 16, 32 }[index % 6]);
                client.Quantity("system.displays").Record(1 + (index % 5 == 0 ? 1 : 0));
                client.Quantity("install.age_days").Record(Math.Max(1, day.DayNumber - firstMonday.DayNumber - joinDay + 1 + index % 400));
                client.Counter("files.opened").Add(random.Next(1, 12));
                client.Enum("files.type_opened").Set(FileTypes[(index + week) % FileTypes.Length]);
                if (spellcheck) client.Flag("feature.spellcheck").Set();
                if (splitView) client.Flag("feature.split_view").Set();
                if (dark) client.Flag("feature.dark_theme").Set();
                client.Histogram("startup.ms").Record(180 + random.Next(0, 900));
                client.Histogram("search.ms").Record(random.Next(5, 400));
                if (random.NextDouble() < 0.02) client.Counter("app.crashes").Increment();
                client.Flush();
            }
            // The client's own schedule decides when it uploads, as on a real machine; asking it only once
            // that time has come (or, before any schedule exists, every day) skips thousands of "not due" cycles.
            clock.Set(day.ToDateTime(new TimeOnly(20, 0)));
            if (nextUpload is { } due && clock.GetUtcNow() < due)
                continue;
            var cycle = await client.UploadAsync(cancellationToken);
            nextUpload = cycle.Status == "consent not granted" ? DateTimeOffset.MaxValue : cycle.NextUploadAt;
            Interlocked.Add(ref _batches, cycle.Sent);
            if (cycle.Status == "retrying later" || cycle.Dropped > 0) Interlocked.Increment(ref _failures);
        }
    }

    /// <summary>Releases roll out: 1.1 at the start, 1.2 from week 4, 2.0 from week 9, each taken up gradually.</summary>
    private static string Version(int week, int index, Random random)
    {
        int lag = index % 6; // some installations update late
        if (week - lag >= 8) return "2.0";
        if (week - lag >= 3) return "1.2";
        return index % 9 == 0 ? "1.0" : "1.1";
    }

    private static string Pick(Random random, (string Value, double Weight)[] choices)
    {
        double x = random.NextDouble();
        foreach (var (value, weight) in choices)
            if ((x -= weight) < 0) return value;
        return choices[^1].Value;
    }

    private sealed class SimulatedClock(DateTime start) : TimeProvider
    {
        private DateTimeOffset _now = new(start, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => _now;
        public void Set(DateTime at) => _now = new DateTimeOffset(at, TimeSpan.Zero);
    }
}
