using Candor.Postgres;
using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// The engine for more than one machine: several collector processes share one PostgreSQL. Each contract is
/// one small class of this folder over the shared <see cref="PostgresDatabase"/>; <see cref="ReportStore"/> hands
/// each call to its feature (and folds first where a call needs it); this class migrates and closes the pool. Concurrency between collectors is left to PostgreSQL (row
/// locks taken in one order, deadlock victims retried); at rest, every table written is rewritten in key
/// order (<see cref="PostgresRewrite"/>) and purges rewrite what they deleted from.
/// </summary>
internal sealed class PostgresReportStore : ReportStore
{
    /// <summary>Schema version this code writes (the <c>schema_version</c> table).</summary>
    public static int SchemaVersion => PostgresMigrations.Latest;

    private readonly PostgresDatabase _db;
    private readonly PostgresIngest _ingest;

    /// <param name="database">An Npgsql connection string or a postgres:// URL.</param>
    public PostgresReportStore(string database) : this(new PostgresDatabase(PostgresConnectionString.ToNpgsql(database)))
    {
    }

    private PostgresReportStore(PostgresDatabase db) : this(db, new PostgresIngest(db))
    {
    }

    private PostgresReportStore(PostgresDatabase db, PostgresIngest ingest)
        : base(ingest, new PostgresIdempotencyKeys(db), new RegistryStore(async ct => await db.DataSource.OpenConnectionAsync(ct)), new PostgresReleases(db),
            new PostgresRetention(db), new TokenStore(async ct => await db.DataSource.OpenConnectionAsync(ct), SqlDialect.Postgres), new PostgresLog(db),
            new PostgresDeletion(db), new PostgresRewrite(db))
    {
        _db = db;
        _ingest = ingest;
    }

    /// <summary>For bulk work beside the store (<see cref="StoreCopier"/>).</summary>
    internal NpgsqlDataSource DataSource => _db.DataSource;

    /// <summary>A write beside the store (DAP) to the tables rewritten in key order (<see cref="PostgresRewrite"/>).</summary>
    internal void SharedWritten() => _db.SharedWritten();

    public string ConnectionString => _db.ConnectionString;

    /// <summary>host:port/database, without credentials, for messages.</summary>
    public string Description => PostgresConnectionString.Describe(ConnectionString);

    public override Task MigrateAsync(CancellationToken cancellationToken = default) => MigrateAsync(SchemaVersion, cancellationToken);

    /// <summary>Applies the migrations up to <paramref name="targetVersion"/> (tests build older schemas with it).</summary>
    internal async Task MigrateAsync(int targetVersion, CancellationToken cancellationToken)
    {
        await using var c = await _db.DataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        await PostgresDatabase.Exec(c, $"SELECT pg_advisory_xact_lock({PostgresDatabase.SchemaLock});", cancellationToken);
        int version = await ReadVersionAsync(c, cancellationToken);
        if (version > SchemaVersion)
            throw new StoreSchemaException($"The PostgreSQL database {Description} has schema version {version}, newer than this Candor knows ({SchemaVersion}). Upgrade Candor before serving this database.");
        foreach (var (v, sql) in PostgresMigrations.All)
        {
            if (v <= version || v > targetVersion)
                continue;
            await PostgresDatabase.Exec(c, sql, cancellationToken);
            await PostgresDatabase.Exec(c, $"UPDATE schema_version SET version = {v};", cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        _db.BodyColumn = targetVersion >= PostgresMigrations.FingerprintWipe ? "body_mac" : "body_hash";
        if (version < PostgresMigrations.FingerprintWipe && targetVersion >= PostgresMigrations.FingerprintWipe && version > 0)
            await PostgresDatabase.RewriteTableAsync(c, "idempotency_keys", "key_hash", cancellationToken); // the wiped unkeyed hashes leave the files
        if (version > 0 && version < PostgresMigrations.CommitmentsWithoutValues && targetVersion >= PostgresMigrations.CommitmentsWithoutValues)
            await PostgresDatabase.RewriteTableAsync(c, "commitments", "commitment", cancellationToken); // the emptied values and deleted rows leave the files
        if (targetVersion >= PostgresMigrations.CellJournal)
            await CellJournalStartup.FoldAsync(_ingest, $"the PostgreSQL database {Description}", cancellationToken);
    }

    /// <summary>The schema version of the database; 0 when Candor never ran on it.</summary>
    public async Task<int> ReadVersionAsync(CancellationToken cancellationToken = default)
    {
        await using var c = await _db.DataSource.OpenConnectionAsync(cancellationToken);
        return await ReadVersionAsync(c, cancellationToken);
    }

    private static async Task<int> ReadVersionAsync(NpgsqlConnection c, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand("SELECT to_regclass('schema_version') IS NOT NULL;", c);
        if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
            return 0;
        await using var read = new NpgsqlCommand("SELECT max(version) FROM schema_version;", c);
        return await read.ExecuteScalarAsync(cancellationToken) is int v ? v : 0;
    }

    /// <summary>The first day of a period: the month partition a raw row lives in.</summary>
    internal static DateOnly PeriodStart(string period) => PostgresDatabase.PeriodStart(period);

    /// <summary>Creates the raw_reports partitions for these period starts that no collector has created yet.</summary>
    internal Task EnsurePartitionsAsync(IEnumerable<DateOnly> periodStarts, CancellationToken cancellationToken) =>
        _db.EnsurePartitionsAsync(periodStarts, cancellationToken);

    public override ValueTask DisposeAsync() => _db.DataSource.DisposeAsync();
}
