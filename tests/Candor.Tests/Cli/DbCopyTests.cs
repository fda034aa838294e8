using Candor.Collector.Storage;
using Candor.Collector.Storage.Postgres;
using Candor.Collector.Storage.Sqlite;
using Candor.Protocol;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.Cli;

/// <summary><c>candor db copy</c>: moving a collector from SQLite to PostgreSQL keeps everything, retries included.</summary>
public sealed class DbCopyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-copy-").FullName;
    private string Sqlite => Path.Combine(_dir, "candor.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static AppendRequest Batch(string app, byte[] key, string os, string period = "2026-W47") =>
        new(app, [new ValidatedReport("system.os", period, os, null, System.Security.Cryptography.SHA256.HashData(key)),
                  new ValidatedReport("startup.ms", period, """{"100":3}""", [new("100", 3)])],
            key, [7, 7], new IngestResponse(2, 3600), new DateOnly(2026, 11, 22));

    /// <summary>Seals the pending set as the collector's sealer would (shuffle aside), signed with a throwaway key.</summary>
    private static Task<long?> SealAsync(IReportStore store)
    {
        var key = Candor.Transparency.EcdsaNoteKey.ForSigning("copy.test/log", System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256));
        return store.SealEpochAsync(1, epoch =>
        {
            var tree = new Candor.Collector.Transparency.TiledTree(epoch.Reader);
            var append = tree.Append(epoch.Size, epoch.Entries);
            var note = Candor.Transparency.SignedNote.Sign(new Candor.Transparency.Checkpoint("copy.test/log", (ulong)append.NewSize, tree.RootHash(append.NewSize)).ToNoteText(), key);
            return new Candor.Collector.Transparency.SealedEpoch(epoch.Entries, append, note);
        });
    }

    private static Task<(long, string?, string, string?)> LogAsync(IReportStore store) => store.ReadLogAsync(r =>
        (r.TreeSize, r.ReadCheckpoint(null), Convert.ToHexString(new Candor.Collector.Transparency.TiledTree(r).RootHash(r.TreeSize)),
         r.ReadBundle(0) is { } b ? Convert.ToHexString(b) : null));

    [PostgresFact]
    public async Task Copy_moves_every_table_and_a_retry_after_the_move_is_still_a_replay()
    {
        var today = new DateOnly(2026, 11, 22);
        await using (var sqlite = new SqliteReportStore(Sqlite))
        {
            await sqlite.MigrateAsync();
            await sqlite.SaveRegistryAsync(new("app.a", 1, "yaml", "sha"));
            await sqlite.AppendGroupAsync([Batch("app.a", [1], "linux"), Batch("app.a", [2], "macos")]);
            Assert.Equal(2, await SealAsync(sqlite));
            await sqlite.AppendGroupAsync([Batch("app.b", [3], "linux", "2026-09-01")]);
            // Past the end of 2026-09-01's ISO week: commitments retire with the week that holds their period's last day.
            await sqlite.PurgeRawAsync("app.b", new DateOnly(2026, 9, 7), today);
            await sqlite.SaveReleasesAsync([new StoredRelease("app.a", "system.os", "2026-W40", today, """{"epsilon":"1","threshold":15,"values":[],"withheld":null}""")]);
        }
        SqliteConnection.ClearAllPools();
        await using var database = await TestDatabase.CreateAsync();

        var (exit, stdout, stderr) = await CandorProcess.RunAsync(_dir, "db", "copy", "--from", Sqlite, "--to", database.ConnectionString);
        Assert.True(exit == 0, stderr);
        Assert.Contains("Copied 3 raw rows, 5 rollup cells, 3 idempotency keys, 1 registry versions, 1 purge log lines and 1 releases", stdout);
        // The commitment of app.b's purged period went with it; its entry still waits for the next epoch.
        Assert.Contains("Transparency log: 2 leaves, 1 checkpoints, 2 commitments held.", stdout);

        await using var from = new SqliteReportStore(Sqlite);
        await from.MigrateAsync();
        await using var to = new PostgresReportStore(database.ConnectionString);
        await to.MigrateAsync();
        foreach (var app in new[] { "app.a", "app.b" })
        {
            Assert.Equal(await from.ReadRawAsync(app), await to.ReadRawAsync(app));
            Assert.Equal(await from.ReadRollupsAsync(app), await to.ReadRollupsAsync(app));
            Assert.Equal(await from.ReadPurgesAsync(app), await to.ReadPurgesAsync(app));
            // Published figures move as they are: a copy that re-released them would draw fresh noise.
            Assert.Equal(await from.ReadReleasesAsync(app, "system.os", "2026-W01", "2026-W53"), await to.ReadReleasesAsync(app, "system.os", "2026-W01", "2026-W53"));
        }
        Assert.Equal(await from.LoadRegistriesAsync(), await to.LoadRegistriesAsync());
        // The log moves whole: same size, same signed checkpoint, same root from the copied tiles, same entries,
        // and the next epoch continues it (the pending entry of app.b) on PostgreSQL.
        Assert.Equal(await LogAsync(from), await LogAsync(to));
        Assert.Equal(3, await SealAsync(to));
        Assert.Equal(AppendOutcomeKind.Replayed, (await to.AppendGroupAsync([Batch("app.a", [1], "linux")]))[0].Kind);

        // Twice would count everything twice: the second copy is refused.
        (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "db", "copy", "--from", Sqlite, "--to", database.ConnectionString);
        Assert.Equal(1, exit);
        Assert.Contains("is not empty", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task Copy_from_a_missing_file_says_so_in_one_line()
    {
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "db", "copy", "--from", Path.Combine(_dir, "nope.db"), "--to", "Host=127.0.0.1;Port=1;Database=x");
        Assert.Equal(1, exit);
        Assert.Contains("candor db copy: The SQLite database", stderr);
        Assert.Contains("does not exist", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task Copy_to_something_that_is_not_postgres_is_refused()
    {
        var (exit, _, stderr) = await CandorProcess.RunAsync(_dir, "db", "copy", "--from", Sqlite, "--to", Path.Combine(_dir, "other.db"));
        Assert.Equal(1, exit);
        Assert.Contains("--to must be a PostgreSQL connection string", stderr);
    }
}
