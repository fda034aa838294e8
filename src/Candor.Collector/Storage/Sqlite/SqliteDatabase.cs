using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

/// <summary>
/// What every SQLite feature class shares: the file, the one writer connection (opened by
/// <see cref="SqliteReportStore.MigrateAsync(CancellationToken)"/>, with <c>secure_delete</c> on) and its
/// lock, pooled reader connections, and the count of writes since the last key-order rewrite. Writes go
/// through <see cref="WriteAsync"/>: SQLite has one writer at a time anyway, and only the writer connection
/// zeroes what it deletes. Every write commits with <c>synchronous=FULL</c> except ingest groups and folds
/// (<see cref="WriteRelaxedAsync"/>), whose durability the caller owns.
/// </summary>
internal sealed class SqliteDatabase
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private long _writesSinceRewrite;
    private SqliteConnection? _writer;

    /// <summary>
    /// The writer's <c>synchronous</c> is NORMAL, as the last relaxed write left it; read and written under the
    /// write lock only. The mode is switched when the kind of write changes, not around every ingest group:
    /// two PRAGMA statements per group were measurable on the writer's serial path (docs/benchmarks.md, "the
    /// writer path taken apart"), and under load groups follow groups.
    /// </summary>
    private bool _relaxed;

    public SqliteDatabase(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>Full path of the database file (its -wal and -shm files sit beside it).</summary>
    public string Path { get; }

    public string ConnectionString { get; }

    /// <summary>The writer connection, its <c>synchronous</c> FULL when set; null before migration and after disposal.</summary>
    public SqliteConnection? Writer
    {
        get => _writer;
        set
        {
            _writer = value;
            _relaxed = false;
        }
    }

    /// <summary>Writes since the last key-order rewrite: a rewrite with none to tidy is skipped.</summary>
    public long WritesSinceRewrite => Interlocked.Read(ref _writesSinceRewrite);

    public void Wrote() => Interlocked.Increment(ref _writesSinceRewrite);

    public void Rewritten() => Interlocked.Exchange(ref _writesSinceRewrite, 0);

    /// <summary>Runs <paramref name="write"/> on the writer connection under the write lock, with <c>synchronous=FULL</c>: its commit is on disk when it returns.</summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, Task<T>> write, CancellationToken cancellationToken)
    {
        var writer = Writer ?? throw new InvalidOperationException("Call MigrateAsync before writing.");
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            SetRelaxed(writer, false);
            return await write(writer);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="write"/> under the write lock with <c>synchronous=NORMAL</c>: its commit reaches the WAL
    /// but not necessarily the disk. Only for an ingest group, which <see cref="WalFlush"/> syncs before anyone is
    /// answered, and for a fold, which moves counts without adding any (a lost fold leaves its rows to fold again).
    /// </summary>
    public async Task<T> WriteRelaxedAsync<T>(Func<SqliteConnection, T> write, CancellationToken cancellationToken)
    {
        var writer = Writer ?? throw new InvalidOperationException("Call MigrateAsync before writing.");
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            SetRelaxed(writer, true);
            return write(writer);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Under the write lock. A failed switch leaves the flag as it was, so the next write tries again.</summary>
    private void SetRelaxed(SqliteConnection writer, bool relaxed)
    {
        if (_relaxed == relaxed)
            return;
        using var cmd = writer.CreateCommand();
        cmd.CommandText = relaxed ? "PRAGMA synchronous=NORMAL;" : "PRAGMA synchronous=FULL;";
        cmd.ExecuteNonQuery();
        _relaxed = relaxed;
    }

    /// <summary>Takes the write lock with or without a writer (disposal); a writer is back at <c>synchronous=FULL</c> for what the holder writes.</summary>
    public async Task<IDisposable> LockAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            if (Writer is { } writer)
                SetRelaxed(writer, false);
        }
        catch
        {
            _writeLock.Release();
            throw;
        }
        return new Releaser(_writeLock);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }

    /// <summary>A pooled connection for reads and single-statement writes beside the writer.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var c = new SqliteConnection(ConnectionString);
        await c.OpenAsync(cancellationToken);
        return c;
    }

    /// <summary>A prepared command whose parameters are bound by position.</summary>
    public static SqliteCommand Command(SqliteConnection c, string sql, params string[] parameters)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var p in parameters)
            cmd.Parameters.Add(new SqliteParameter { ParameterName = p });
        cmd.Prepare();
        return cmd;
    }

    public static async Task Exec(SqliteConnection c, string sql, SqliteTransaction? tx = null)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        await cmd.ExecuteNonQueryAsync();
    }

    public static async Task<object?> Scalar(SqliteConnection c, string sql)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return await cmd.ExecuteScalarAsync();
    }

    /// <summary>How long <see cref="TruncateWalAsync"/> waits for readers still on older WAL frames before it gives up.</summary>
    public static readonly TimeSpan CheckpointPatience = TimeSpan.FromSeconds(2);

    /// <summary>
    /// secure_delete zeroed the deleted cells in the pages written to the WAL, but the WAL still holds
    /// the earlier images of those pages, with the cells in them. Checkpointing copies the clean pages
    /// into the main file, and TRUNCATE empties the WAL. A reader still reading older frames keeps the WAL
    /// from being emptied: the checkpoint is tried again every few milliseconds, for up to
    /// <see cref="CheckpointPatience"/>, because reads are short and
    /// one that started after the frames were copied no longer holds the WAL. Without that, one dashboard
    /// read at the wrong moment skipped a rewrite until the next interval (10 minutes by default, up to a day). A read still
    /// going after that long makes it give up (false), and the next purge or rewrite tries again. Ingest
    /// waits meanwhile (the caller holds the write lock; its queue absorbs the pause).
    /// </summary>
    public static async Task<bool> TruncateWalAsync(SqliteConnection writer)
    {
        long deadline = Environment.TickCount64 + (long)CheckpointPatience.TotalMilliseconds;
        while (true)
        {
            await using (var cmd = writer.CreateCommand())
            {
                cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
                await using var r = await cmd.ExecuteReaderAsync();
                if (await r.ReadAsync() && r.GetInt64(0) == 0)
                    return true;
            }
            if (Environment.TickCount64 >= deadline)
                return false;
            await Task.Delay(10);
        }
    }

    /// <summary><see cref="TruncateWalAsync"/> where a failure must not hide the error being handled; the next purge, rewrite or checkpoint tries again.</summary>
    public static async Task TruncateWalQuietlyAsync(SqliteConnection writer)
    {
        try
        {
            await TruncateWalAsync(writer);
        }
        catch (SqliteException)
        {
        }
    }
}
