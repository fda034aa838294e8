using Candor.Collector.Transparency;
using Candor.Postgres;
using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// The engine for more than one machine: several collector processes share one PostgreSQL. Each contract is
/// one small class of this folder over the shared <see cref="PostgresDatabase"/>; this class migrates, hands
/// each call to its feature and closes the pool. Concurrency between collectors is left to PostgreSQL (row
/// locks taken in one order, deadlock victims retried); at rest, every table written is rewritten in key
/// order (<see cref="PostgresRewrite"/>) and purges rewrite what they deleted from.
/// </summary>
internal sealed class PostgresReportStore : IReportStore
{
    /// <summary>Schema version this code writes (the <c>schema_version</c> table).</summary>
    public static int SchemaVersion => PostgresMigrations.Latest;

    private readonly PostgresDatabase _db;
    private readonly PostgresIngest _ingest;
    private readonly PostgresIdempotencyKeys _keys;
    private readonly RegistryStore _registries;
    private readonly PostgresReleases _releases;
    private readonly PostgresRetention _retention;
    private readonly TokenStore _tokens;
    private readonly PostgresLog _log;
    private readonly PostgresDeletion _deletion;
    private readonly PostgresRewrite _rewrite;

    /// <param name="database">An Npgsql connection string or a postgres:// URL.</param>
    public PostgresReportStore(string database)
    {
        ConnectionString = PostgresConnectionString.ToNpgsql(database);
        _db = new PostgresDatabase(ConnectionString);
        _ingest = new PostgresIngest(_db);
        _keys = new PostgresIdempotencyKeys(_db);
        _registries = new RegistryStore(async ct => await _db.DataSource.OpenConnectionAsync(ct));
        _releases = new PostgresReleases(_db);
        _retention = new PostgresRetention(_db);
        _tokens = new TokenStore(async ct => await _db.DataSource.OpenConnectionAsync(ct), SqlDialect.Postgres);
        _log = new PostgresLog(_db);
        _deletion = new PostgresDeletion(_db);
        _rewrite = new PostgresRewrite(_db);
    }

    public string Engine => "postgres";

    /// <summary>For bulk work beside the store (<see cref="StoreCopier"/>).</summary>
    internal NpgsqlDataSource DataSource => _db.DataSource;

    /// <summary>A write beside the store (DAP) to the tables rewritten in key order (<see cref="PostgresRewrite"/>).</summary>
    internal void SharedWritten() => _db.SharedWritten();

    public string ConnectionString { get; }

    /// <summary>host:port/database, without credentials, for messages.</summary>
    public string Description => PostgresConnectionString.Describe(ConnectionString);

    public Task MigrateAsync(CancellationToken cancellationToken = default) => MigrateAsync(SchemaVersion, cancellationToken);

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

    public Task<AppendOutcome[]> AppendGroupAsync(IReadOnlyList<AppendRequest> group, CancellationToken cancellationToken = default) => _ingest.AppendGroupAsync(group, cancellationToken);
    public Task<AppendOutcome[]> AppendGroupAsync(IReadOnlyList<AppendRequest> group, bool moreWaiting, CancellationToken cancellationToken = default) => _ingest.AppendGroupAsync(group, moreWaiting, cancellationToken);
    public Task<int> FoldJournalAsync(CancellationToken cancellationToken = default) => _ingest.FoldJournalAsync(cancellationToken);
    public CellJournalPolicy Journal => _ingest.Journal;
    public async Task<IReadOnlyList<RawRow>> ReadRawAsync(string app, CancellationToken cancellationToken = default)
    {
        await FoldPendingAsync(cancellationToken);
        return await _ingest.ReadRawAsync(app, cancellationToken);
    }
    public Task<int> PurgeIdempotencyKeysAsync(DateOnly firstSeenBefore, CancellationToken cancellationToken = default) => _keys.PurgeIdempotencyKeysAsync(firstSeenBefore, cancellationToken);
    public Task SaveRegistryAsync(StoredRegistry registry, CancellationToken cancellationToken = default) => _registries.SaveRegistryAsync(registry, cancellationToken);
    public Task<IReadOnlyList<StoredRegistry>> LoadRegistriesAsync(CancellationToken cancellationToken = default) => _registries.LoadRegistriesAsync(cancellationToken);
    public async Task<IReadOnlyList<RollupCell>> ReadRollupsAsync(string app, string? metric = null, CancellationToken cancellationToken = default)
    {
        await FoldPendingAsync(cancellationToken);
        return await _releases.ReadRollupsAsync(app, metric, cancellationToken);
    }

    /// <summary>
    /// Reads of cells see what this collector stored: its journal rows are folded first (nothing is written when
    /// it has none, the usual case outside load). Another collector's rows show after that collector's next fold.
    /// </summary>
    private Task FoldPendingAsync(CancellationToken cancellationToken) =>
        _ingest.Journal.Rows > 0 ? _ingest.FoldJournalAsync(cancellationToken) : Task.CompletedTask;
    public async Task<IReadOnlyList<RollupCell>> ReadRollupsAsync(string app, string metric, string fromPeriod, string toPeriod, CancellationToken cancellationToken = default)
    {
        await _ingest.FoldJournalAsync(cancellationToken); // a release freezes what it reads: every stored report in it
        return await _releases.ReadRollupsAsync(app, metric, fromPeriod, toPeriod, cancellationToken);
    }
    public Task<IReadOnlyList<StoredRelease>> ReadReleasesAsync(string app, string metric, string fromPeriod, string toPeriod, CancellationToken cancellationToken = default) => _releases.ReadReleasesAsync(app, metric, fromPeriod, toPeriod, cancellationToken);
    public Task SaveReleasesAsync(IReadOnlyList<StoredRelease> releases, CancellationToken cancellationToken = default) => _releases.SaveReleasesAsync(releases, cancellationToken);
    public async Task<PurgeRecord> PurgeRawAsync(string app, DateOnly purgedBefore, DateOnly today, CancellationToken cancellationToken = default)
    {
        await _ingest.FoldJournalAsync(cancellationToken); // expired reports still in the journal go too
        return await _retention.PurgeRawAsync(app, purgedBefore, today, cancellationToken);
    }
    public Task<IReadOnlyList<PurgeRecord>> ReadPurgesAsync(string app, CancellationToken cancellationToken = default) => _retention.ReadPurgesAsync(app, cancellationToken);
    public Task<int> PurgeSpentTokensAsync(IReadOnlyCollection<byte[]> keepKeyIds, CancellationToken cancellationToken = default) => _tokens.PurgeSpentTokensAsync(keepKeyIds, cancellationToken);
    public Task<long> CountSpentTokensAsync(CancellationToken cancellationToken = default) => _tokens.CountSpentTokensAsync(cancellationToken);
    public Task<bool> TryTakeIssuanceBudgetAsync(long period, byte[] partition, int tokens, int budget, CancellationToken cancellationToken = default) => _tokens.TryTakeIssuanceBudgetAsync(period, partition, tokens, budget, cancellationToken);
    public Task<int> PurgeIssuanceBudgetsAsync(long period, CancellationToken cancellationToken = default) => _tokens.PurgeIssuanceBudgetsAsync(period, cancellationToken);
    public Task<long?> SealEpochAsync(int minBatches, Func<PendingEpoch, SealedEpoch> seal, CancellationToken cancellationToken = default) => _log.SealEpochAsync(minBatches, seal, cancellationToken);
    public Task<T> ReadLogAsync<T>(Func<ILogReader, T> read, CancellationToken cancellationToken = default) => _log.ReadLogAsync(read, cancellationToken);
    public async Task<IReadOnlyList<DeletionStatus>> DeleteByReceiptAsync(string storedApp, IReadOnlyList<DeletionReceipt> receipts, CancellationToken cancellationToken = default)
    {
        await _ingest.FoldJournalAsync(cancellationToken); // the report's cells must be in the tables to be taken off
        return await _deletion.DeleteByReceiptAsync(storedApp, receipts, cancellationToken);
    }

    public async Task<bool> RewriteInKeyOrderAsync(bool force = false, CancellationToken cancellationToken = default)
    {
        await _ingest.FoldJournalAsync(cancellationToken); // the folded rows' dead tuples then leave with the rewrite of cell_journal
        return await _rewrite.RewriteInKeyOrderAsync(force, cancellationToken);
    }

    public ValueTask DisposeAsync() => _db.DataSource.DisposeAsync();
}
