using Candor.Collector.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.Storage;

/// <summary>
/// The writer connection stays at <c>synchronous=NORMAL</c> between ingest groups (their WAL sync is
/// <see cref="WalFlush"/>'s, before anyone is answered) and goes back to FULL for every other write: a deletion,
/// a purge or a release committed at NORMAL would be acknowledged before it is on disk. Each test reads the mode
/// the write itself runs under, on the real file; the relaxed reads are the positive control that the mode
/// really was NORMAL just before.
/// </summary>
public sealed class SqliteSynchronousTests : IAsyncLifetime
{
    private const long Normal = 1, Full = 2;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "candor-tests", Guid.NewGuid().ToString("n"));
    private SqliteDatabase _db = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _db = new SqliteDatabase(Path.Combine(_directory, "sync.db"));
        var writer = new SqliteConnection(_db.ConnectionString);
        await writer.OpenAsync();
        await SqliteDatabase.Exec(writer, "PRAGMA journal_mode=WAL;");
        await SqliteDatabase.Exec(writer, "PRAGMA synchronous=FULL;");
        _db.Writer = writer;
    }

    public async Task DisposeAsync()
    {
        await _db.Writer!.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, true); } catch (IOException) { }
    }

    private static long Mode(SqliteConnection writer)
    {
        using var cmd = writer.CreateCommand();
        cmd.CommandText = "PRAGMA synchronous;";
        return (long)cmd.ExecuteScalar()!;
    }

    [Fact]
    public async Task A_write_after_ingest_groups_commits_with_full_sync()
    {
        Assert.Equal(Normal, await _db.WriteRelaxedAsync(Mode, CancellationToken.None));
        Assert.Equal(Normal, await _db.WriteRelaxedAsync(Mode, CancellationToken.None));
        Assert.Equal(Full, await _db.WriteAsync(w => Task.FromResult(Mode(w)), CancellationToken.None));
        Assert.Equal(Normal, await _db.WriteRelaxedAsync(Mode, CancellationToken.None));
    }

    [Fact]
    public async Task A_failed_ingest_group_leaves_the_next_write_at_full_sync()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => _db.WriteRelaxedAsync<long>(
            w => Mode(w) == Normal ? throw new InvalidOperationException("the group's transaction failed") : 0, CancellationToken.None));
        Assert.Equal(Full, await _db.WriteAsync(w => Task.FromResult(Mode(w)), CancellationToken.None));
    }

    [Fact]
    public async Task What_the_lock_holder_writes_at_shutdown_commits_with_full_sync()
    {
        Assert.Equal(Normal, await _db.WriteRelaxedAsync(Mode, CancellationToken.None));
        using (await _db.LockAsync())
            Assert.Equal(Full, Mode(_db.Writer!));
    }

    [Fact]
    public async Task A_new_writer_starts_at_full_sync_whatever_the_last_one_was_left_at()
    {
        Assert.Equal(Normal, await _db.WriteRelaxedAsync(Mode, CancellationToken.None));
        var old = _db.Writer!;
        var writer = new SqliteConnection(_db.ConnectionString);
        await writer.OpenAsync();
        await SqliteDatabase.Exec(writer, "PRAGMA synchronous=FULL;"); // as MigrateAsync leaves it
        _db.Writer = writer;
        await old.DisposeAsync();
        Assert.Equal(Normal, await _db.WriteRelaxedAsync(Mode, CancellationToken.None)); // switched, not assumed
        Assert.Equal(Full, await _db.WriteAsync(w => Task.FromResult(Mode(w)), CancellationToken.None));
    }
}
