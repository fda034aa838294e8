using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

/// <summary>
/// The embedded default engine: one SQLite file in WAL mode with <c>synchronous=FULL</c>, so a commit
/// is on disk before it returns and an acknowledged report survives a crash or power cut. One writer
/// connection takes whole groups of batches (group commit); readers use their own pooled connections.
/// Each contract is one small class of this folder over the shared <see cref="SqliteDatabase"/>; this
/// class migrates and closes the file; <see cref="ReportStore"/> hands each call to its feature (and folds first where a call needs it).
///
/// At rest (docs/privacy.md): the writer runs with <c>secure_delete</c>, so deleted and moved cells are
/// zeroed in their pages; after every purge the WAL is checkpointed and truncated, so no older page
/// image survives in it; <see cref="SqliteRewrite"/> VACUUMs the file, which rebuilds every
/// table in primary-key order and leaves no free page, so the file's page and cell order no longer
/// says which cells were written by one commit.
/// </summary>
internal sealed class SqliteReportStore : ReportStore
{
    /// <summary>Schema version this code writes (PRAGMA user_version); the versions are in <see cref="SqliteMigrations"/>.</summary>
    public static int SchemaVersion => SqliteMigrations.Latest;

    /// <summary>Pages of WAL after which SQLite checkpoints (4 KiB pages: 4 MiB).</summary>
    internal const int WalCheckpointPages = 1024;

    private readonly SqliteDatabase _db;
    private readonly SqliteIngest _ingest;
    private readonly SqliteRewrite _rewrite;

    public SqliteReportStore(string path) : this(new SqliteDatabase(path))
    {
    }

    private SqliteReportStore(SqliteDatabase db) : this(db, new SqliteIngest(db), new SqliteRewrite(db))
    {
    }

    private SqliteReportStore(SqliteDatabase db, SqliteIngest ingest, SqliteRewrite rewrite)
        : base(ingest, new SqliteIdempotencyKeys(db), new RegistryStore(async ct => await db.OpenAsync(ct)), new SqliteReleases(db),
            new SqliteRetention(db), new TokenStore(async ct => await db.OpenAsync(ct), SqlDialect.Sqlite), new SqliteLog(db),
            new SqliteDeletion(db), rewrite)
    {
        _db = db;
        _ingest = ingest;
        _rewrite = rewrite;
    }

    /// <summary>Full path of the database file (its -wal and -shm files sit beside it).</summary>
    public string Path => _db.Path;

    /// <summary>A write beside the store (DAP, on its own connections) to tidy at the next key-order rewrite.</summary>
    internal void Wrote() => _db.Wrote();

    /// <summary>Off only in tests: lets a rewrite start without room, to show the WAL is emptied after it fails.</summary>
    internal bool MeasureSpaceBeforeRewrite
    {
        get => _rewrite.MeasureSpaceBeforeRewrite;
        set => _rewrite.MeasureSpaceBeforeRewrite = value;
    }

    public override Task MigrateAsync(CancellationToken cancellationToken = default) => MigrateAsync(SchemaVersion, cancellationToken);

    /// <summary>Applies the migrations up to <paramref name="targetVersion"/> (tests build older schemas with it).</summary>
    internal async Task MigrateAsync(int targetVersion, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var writer = new SqliteConnection(_db.ConnectionString);
        await writer.OpenAsync(cancellationToken);
        try
        {
            // Before anything is written, migrations included: a delete or an update that moves a cell
            // leaves its old bytes in the page otherwise, readable in the file long after (privacy invariant 8).
            await SqliteDatabase.Exec(writer, "PRAGMA secure_delete=ON;");
            long version = (long)(await SqliteDatabase.Scalar(writer, "PRAGMA user_version;"))!;
            if (version > SchemaVersion)
                throw new StoreSchemaException($"The database {Path} has schema version {version}, newer than this Candor knows ({SchemaVersion}). Upgrade Candor before serving this database.");

            await SqliteDatabase.Exec(writer, "PRAGMA journal_mode=WAL;");
            foreach (var (v, sql) in SqliteMigrations.All)
            {
                if (v <= version || v > targetVersion)
                    continue;
                // One transaction per version, the version bump inside it: a crash leaves a whole version or none.
                using var tx = writer.BeginTransaction();
                await SqliteDatabase.Exec(writer, sql, tx);
                await SqliteDatabase.Exec(writer, $"PRAGMA user_version = {v};", tx);
                tx.Commit();
            }
            // FULL: the WAL is synced at every commit, so "acknowledged" means "on disk".
            await SqliteDatabase.Exec(writer, "PRAGMA synchronous=FULL;");
            // Checkpoint every 4 MiB of WAL and cut it back to 4 MiB after each. Larger limits (64 MiB
            // before) wedged a full disk: once space was freed the WAL refilled it before a checkpoint
            // could complete and restart it, so the collector never came back (docs/operations.md, "Disk full").
            await SqliteDatabase.Exec(writer, $"PRAGMA wal_autocheckpoint={WalCheckpointPages};");
            await SqliteDatabase.Exec(writer, $"PRAGMA journal_size_limit={WalCheckpointPages * 4096L};");
            if ((version < SqliteMigrations.FingerprintWipe && targetVersion >= SqliteMigrations.FingerprintWipe)
                || (version > 0 && version < SqliteMigrations.CommitmentsWithoutValues && targetVersion >= SqliteMigrations.CommitmentsWithoutValues))
                await SqliteDatabase.Exec(writer, "PRAGMA wal_checkpoint(TRUNCATE);"); // the wiped fingerprints' (or commitments' values') old pages leave the WAL too
            _ingest.Prepare(writer, targetVersion >= SqliteMigrations.FingerprintWipe ? "body_mac" : "body_hash");
            _db.Writer = writer;
        }
        catch
        {
            await writer.DisposeAsync();
            throw;
        }
        if (targetVersion >= SqliteMigrations.CellJournal)
            await CellJournalStartup.FoldAsync(_ingest, $"the database {Path}", cancellationToken);
    }

    /// <summary>The schema version of the database; 0 when Candor never ran on it.</summary>
    public async Task<int> ReadVersionAsync(CancellationToken cancellationToken = default)
    {
        if (!File.Exists(Path))
            return 0;
        await using var c = await _db.OpenAsync(cancellationToken);
        return (int)(long)(await SqliteDatabase.Scalar(c, "PRAGMA user_version;"))!;
    }

    public override async ValueTask DisposeAsync()
    {
        using (await _db.LockAsync())
        {
            _ingest.Dispose();
            if (_db.Writer is { } writer)
            {
                await _rewrite.TidyAsync(writer);
                await writer.DisposeAsync();
                _db.Writer = null;
            }
            _ingest.CloseWal();
            // Close this store's pooled readers too, so a stopped collector holds no handle on its file
            // (a copy or a deletion right after shutdown sees the whole file). Only this store's pool: clearing
            // every pool would dispose pools that other stores in the process are opening connections from.
            SqliteConnection.ClearPool(new SqliteConnection(_db.ConnectionString));
        }
    }
}
