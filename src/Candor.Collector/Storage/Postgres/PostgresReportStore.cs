using System.Collections.Concurrent;
using System.Globalization;
using Candor.Collector.Storage.Sqlite; // StoreSchemaException
using Candor.Collector.Transparency;
using Candor.Postgres;
using Candor.Protocol;
using Candor.Transparency;
using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// The engine for more than one machine: several collector processes share one PostgreSQL. Each group
/// of batches is one transaction of three statements whatever its size (array parameters unnested
/// server-side): the idempotency keys, then the raw counts and the rollups. Concurrency between
/// collectors is left to PostgreSQL: upserts add to counts atomically, and a key inserted by another
/// collector's open transaction makes ours wait for it and then see it (read committed), so the same
/// Idempotency-Key arriving at two collectors at once is stored once.
///
/// At rest (docs/privacy.md): a heap keeps rows in write order and an UPDATE writes a new row version
/// elsewhere, stamped with its transaction id, so a dump, an unordered SELECT, <c>ctid</c> or <c>xmin</c>
/// would group the cells one batch wrote. <see cref="RewriteInKeyOrderAsync"/> copies each table written
/// since the last rewrite back into a new file in primary-key order, in one transaction (one xmin for
/// every row), and the old file is dropped; purges do the same for what they deleted.
/// </summary>
public sealed class PostgresReportStore : IReportStore
{
    /// <summary>Schema version this code writes (the <c>schema_version</c> table).</summary>
    public static int SchemaVersion => PostgresMigrations.Latest;

    /// <summary>Serialises schema changes and partition creation across every collector on the database.</summary>
    private const long SchemaLock = 0x43616E646F72; // "Candor"

    /// <summary>A group is retried this many times when PostgreSQL picks it as a deadlock victim.</summary>
    private const int MaxAttempts = 5;

    /// <summary>Held (session-level, try only) by the one collector rewriting tables in key order.</summary>
    private const long RewriteLock = 0x43616E646F73; // "Candos"

    /// <summary>Months of raw_reports partitions, and whether the other tables, were written since the last rewrite.</summary>
    private readonly ConcurrentDictionary<DateOnly, bool> _dirtyMonths = new();
    private int _dirtyShared;

    /// <summary>Every table but raw_reports' partitions, with its primary key: the order it is rewritten in.</summary>
    private static readonly (string Table, string Key)[] SharedTables =
    [
        ("rollups", "app, metric, period, value"),
        ("idempotency_keys", "key_hash"),
        ("purge_log", "app, day, purged_before"),
        ("registries", "app, version"),
        ("releases", "app, metric, period"),
        // The transparency log's private half: commitment rows and the pending set, in random key order.
        // The public tables (tiles, bundles, leaves, checkpoints) are in log order, which is public anyway.
        ("commitments", "commitment"),
        ("log_pending", "entry"),
    ];
    private const string RawKey = "app, metric, period, value, period_start";

    /// <summary>The fingerprint column's name at the schema version written (tests write old schemas).</summary>
    private string _bodyColumn = "body_mac";

    private readonly NpgsqlDataSource _dataSource;
    private readonly ConcurrentDictionary<DateOnly, bool> _partitions = new();

    /// <param name="database">An Npgsql connection string or a postgres:// URL.</param>
    public PostgresReportStore(string database)
    {
        ConnectionString = PostgresConnectionString.ToNpgsql(database);
        _dataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    public string Engine => "postgres";

    /// <summary>For bulk work beside the store (<see cref="StoreCopier"/>).</summary>
    internal NpgsqlDataSource DataSource => _dataSource;

    public string ConnectionString { get; }

    /// <summary>host:port/database, without credentials, for messages.</summary>
    public string Description => PostgresConnectionString.Describe(ConnectionString);

    public Task MigrateAsync(CancellationToken cancellationToken = default) => MigrateAsync(SchemaVersion, cancellationToken);

    /// <summary>Applies the migrations up to <paramref name="targetVersion"/> (tests build older schemas with it).</summary>
    internal async Task MigrateAsync(int targetVersion, CancellationToken cancellationToken)
    {
        await using var c = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        await Exec(c, $"SELECT pg_advisory_xact_lock({SchemaLock});", cancellationToken);
        int version = await ReadVersionAsync(c, cancellationToken);
        if (version > SchemaVersion)
            throw new StoreSchemaException($"The PostgreSQL database {Description} has schema version {version}, newer than this Candor knows ({SchemaVersion}). Upgrade Candor before serving this database.");
        foreach (var (v, sql) in PostgresMigrations.All)
        {
            if (v <= version || v > targetVersion)
                continue;
            await Exec(c, sql, cancellationToken);
            await Exec(c, $"UPDATE schema_version SET version = {v};", cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        _bodyColumn = targetVersion >= PostgresMigrations.FingerprintWipe ? "body_mac" : "body_hash";
        if (version < PostgresMigrations.FingerprintWipe && targetVersion >= PostgresMigrations.FingerprintWipe && version > 0)
            await RewriteTableAsync(c, "idempotency_keys", "key_hash", cancellationToken); // the wiped unkeyed hashes leave the files
        if (version > 0 && version < PostgresMigrations.CommitmentsWithoutValues && targetVersion >= PostgresMigrations.CommitmentsWithoutValues)
            await RewriteTableAsync(c, "commitments", "commitment", cancellationToken); // the emptied values and deleted rows leave the files
    }

    /// <summary>The schema version of the database; 0 when Candor never ran on it.</summary>
    public async Task<int> ReadVersionAsync(CancellationToken cancellationToken = default)
    {
        await using var c = await _dataSource.OpenConnectionAsync(cancellationToken);
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

    public async Task<AppendOutcome[]> AppendGroupAsync(IReadOnlyList<AppendRequest> group, CancellationToken cancellationToken = default)
    {
        await EnsurePartitionsAsync(group, cancellationToken);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await AppendOnceAsync(group, cancellationToken);
            }
            // Two collectors whose groups touch the same keys or cells can still deadlock on index pages
            // or key waits; PostgreSQL rolls one back whole, and running it again is always correct.
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < MaxAttempts)
            {
                await Task.Delay(Random.Shared.Next(5, 50) * attempt, cancellationToken);
            }
        }
    }

    private async Task<AppendOutcome[]> AppendOnceAsync(IReadOnlyList<AppendRequest> group, CancellationToken cancellationToken)
    {
        await using var c = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        var outcomes = new AppendOutcome[group.Count];
        var previous = await ClaimKeysAsync(c, group, _bodyColumn, cancellationToken);

        var delta = new GroupDelta();
        var firstClaim = new HashSet<byte[]>(ByteArrayComparer.Instance);
        var candidates = new List<int>(group.Count);
        for (int i = 0; i < group.Count; i++)
        {
            var request = group[i];
            if (request.IdempotencyKey is { } key)
            {
                // The key was claimed by this transaction for its first batch only; later batches with the
                // same key in this group, and any key someone claimed before, are answered from the claim.
                var (bodyMac, response, ours) = previous[key];
                if (!ours || !firstClaim.Add(key))
                {
                    outcomes[i] = Ingest.IdempotencyFingerprint.Matches(bodyMac, request.BodyMac)
                        ? new(AppendOutcomeKind.Replayed, response)
                        : new(AppendOutcomeKind.KeyReused, response);
                    continue;
                }
            }
            candidates.Add(i);
        }

        // Known commitments are refused after the replay check and before tokens are spent; the batch
        // gives back its key claim like a batch whose token was spent before, so nothing of it stays.
        var released = new List<byte[]>();
        var known = await KnownCommitmentsAsync(c, group, candidates, cancellationToken);
        foreach (var (i, reports) in known)
        {
            outcomes[i] = new(AppendOutcomeKind.CommitmentKnown, group[i].Response, reports);
            if (group[i].IdempotencyKey is { } claimed)
                released.Add(claimed);
        }
        candidates.RemoveAll(known.ContainsKey);

        // Tokens are spent after the replay check (a retry of a stored batch carries the same token and
        // must get its first answer); a batch whose token was spent before gives back its key claim,
        // so that nothing of a refused batch stays behind.
        var fresh = await SpendTokensAsync(c, group, candidates, cancellationToken);
        var commitments = new List<(byte[] Commitment, string App, ValidatedReport Report)>();
        long pendingBatches = 0;
        foreach (int i in candidates)
        {
            var request = group[i];
            if (request.Token is { } token && !fresh.Remove(token.KeyId.Concat(token.Nonce).ToArray()))
            {
                outcomes[i] = new(AppendOutcomeKind.TokenSpent, request.Response);
                if (request.IdempotencyKey is { } claimed)
                    released.Add(claimed);
                continue;
            }
            delta.Add(request.App, request.Reports);
            int before = commitments.Count;
            foreach (var report in request.Reports)
                if (report.Commitment is { } commitment)
                    commitments.Add((commitment, request.App, report));
            if (commitments.Count > before)
                pendingBatches++;
            outcomes[i] = new(AppendOutcomeKind.Stored, request.Response);
        }
        if (released.Count > 0)
        {
            await using var release = new NpgsqlCommand("DELETE FROM idempotency_keys WHERE key_hash = ANY(@keys);", c);
            release.Parameters.AddWithValue("keys", released.ToArray());
            await release.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var batch = new NpgsqlBatch(c);
        AddRawUpsert(batch, delta);
        AddRollupUpsert(batch, delta);
        if (batch.BatchCommands.Count > 0)
            await batch.ExecuteNonQueryAsync(cancellationToken);
        if (commitments.Count > 0)
            await StoreCommitmentsAsync(c, commitments, pendingBatches, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        Interlocked.Exchange(ref _dirtyShared, 1);
        foreach (var cell in delta.Raw.Keys)
        {
            var start = PeriodStart(cell.Period);
            _dirtyMonths.TryAdd(new DateOnly(start.Year, start.Month, 1), true);
        }
        return outcomes;
    }

    /// <summary>
    /// Inserts every new idempotency key of the group (each key once, its first batch's answer) and
    /// returns, per key, the claim that stands: ours, or the one stored before by anyone.
    /// </summary>
    private static async Task<Dictionary<byte[], (byte[] BodyMac, IngestResponse Response, bool Ours)>> ClaimKeysAsync(
        NpgsqlConnection c, IReadOnlyList<AppendRequest> group, string bodyColumn, CancellationToken cancellationToken)
    {
        var claims = new Dictionary<byte[], (byte[] BodyMac, IngestResponse Response, bool Ours)>(ByteArrayComparer.Instance);
        var first = new SortedDictionary<byte[], AppendRequest>(ByteArrayComparer.Instance);
        foreach (var r in group)
            if (r.IdempotencyKey is { } key)
                first.TryAdd(key, r);
        if (first.Count == 0)
            return claims;

        // Sorted, so that two collectors claiming overlapping keys wait on each other in the same order.
        var requests = first.Values.ToArray();
        await using (var insert = new NpgsqlCommand($"""
            INSERT INTO idempotency_keys (key_hash, {bodyColumn}, accepted, next_after, first_seen)
            SELECT * FROM unnest(@key::bytea[], @body::bytea[], @accepted::integer[], @next::bigint[], @day::date[])
            ON CONFLICT (key_hash) DO NOTHING
            RETURNING key_hash;
            """, c))
        {
            insert.Parameters.AddWithValue("key", requests.Select(r => r.IdempotencyKey!).ToArray());
            insert.Parameters.AddWithValue("body", requests.Select(r => r.BodyMac ?? []).ToArray());
            insert.Parameters.AddWithValue("accepted", requests.Select(r => r.Response.Accepted).ToArray());
            insert.Parameters.AddWithValue("next", requests.Select(r => r.Response.NextReportAfterSeconds).ToArray());
            insert.Parameters.AddWithValue("day", requests.Select(r => r.Today).ToArray());
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var r = first[(byte[])reader.GetValue(0)];
                claims[r.IdempotencyKey!] = (r.BodyMac ?? [], r.Response, true);
            }
        }
        if (claims.Count == first.Count)
            return claims;

        var taken = first.Keys.Where(k => !claims.ContainsKey(k)).ToArray();
        await using (var select = new NpgsqlCommand($"SELECT key_hash, {bodyColumn}, accepted, next_after FROM idempotency_keys WHERE key_hash = ANY(@keys);", c))
        {
            select.Parameters.AddWithValue("keys", taken);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                claims[(byte[])reader.GetValue(0)] = ((byte[])reader.GetValue(1), new IngestResponse(reader.GetInt32(2), reader.GetInt64(3)), false);
        }
        // A key that conflicted and then vanished was purged in between: let the caller's retry decide again.
        if (claims.Count != first.Count)
            throw new PostgresException("An idempotency key was purged while a group used it.", "ERROR", "ERROR", PostgresErrorCodes.SerializationFailure);
        return claims;
    }

    /// <summary>Per batch (index) whose reports carry a commitment held already (or earlier in the group), those reports' indices.</summary>
    private static async Task<Dictionary<int, IReadOnlyList<int>>> KnownCommitmentsAsync(NpgsqlConnection c, IReadOnlyList<AppendRequest> group,
        List<int> candidates, CancellationToken cancellationToken)
    {
        var result = new Dictionary<int, IReadOnlyList<int>>();
        var all = candidates.SelectMany(i => group[i].Reports).Select(r => r.Commitment).OfType<byte[]>().ToArray();
        if (all.Length == 0)
            return result;
        var held = new HashSet<byte[]>(ByteArrayEquality.Instance);
        await using (var cmd = new NpgsqlCommand("""
            SELECT x FROM unnest(@c::bytea[]) AS x
            WHERE EXISTS (SELECT 1 FROM commitments WHERE commitment = x) OR EXISTS (SELECT 1 FROM log_leaves WHERE entry = '\x00'::bytea || x);
            """, c))
        {
            cmd.Parameters.AddWithValue("c", all);
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await r.ReadAsync(cancellationToken))
                held.Add((byte[])r.GetValue(0));
        }
        var seen = new HashSet<byte[]>(ByteArrayEquality.Instance);
        foreach (int i in candidates)
        {
            var reports = group[i].Reports;
            List<int>? known = null;
            for (int r = 0; r < reports.Count; r++)
                if (reports[r].Commitment is { } x && (held.Contains(x) || seen.Contains(x)))
                    (known ??= []).Add(r);
            if (known is not null)
                result[i] = known;
            else
                foreach (var report in reports)
                    if (report.Commitment is { } x)
                        seen.Add(x);
        }
        return result;
    }

    /// <summary>
    /// Stores the group's commitments (commitment, app, retirement week: never the report's metric or value)
    /// and their pending entries stamped with the epoch count, and counts the batches for the epoch minimum.
    /// A commitment another collector stored since the check makes the group run again (the retry then
    /// refuses that batch), rather than storing one commitment for two reports.
    /// </summary>
    private static async Task StoreCommitmentsAsync(NpgsqlConnection c, List<(byte[] Commitment, string App, ValidatedReport Report)> rows,
        long pendingBatches, CancellationToken cancellationToken)
    {
        rows.Sort((a, b) => a.Commitment.AsSpan().SequenceCompareTo(b.Commitment)); // one lock order for every collector
        await using var insert = new NpgsqlCommand("""
            WITH stored AS (
                INSERT INTO commitments (commitment, app, retire, state)
                SELECT *, 0 FROM unnest(@c::bytea[], @app::text[], @retire::text[])
                ON CONFLICT (commitment) DO NOTHING RETURNING commitment),
            pending AS (
                INSERT INTO log_pending (entry, arrived)
                SELECT '\x00'::bytea || commitment, (SELECT epoch FROM log_state WHERE singleton = 1) FROM stored ON CONFLICT DO NOTHING)
            SELECT count(*) FROM stored;
            """, c);
        insert.Parameters.AddWithValue("c", rows.Select(r => r.Commitment).ToArray());
        insert.Parameters.AddWithValue("app", rows.Select(r => r.App).ToArray());
        insert.Parameters.AddWithValue("retire", rows.Select(r => CommitmentRetirement.For(r.Report.Period)).ToArray());
        if ((long)(await insert.ExecuteScalarAsync(cancellationToken))! != rows.Count)
            throw new PostgresException("A commitment was stored by another collector while this group checked it.", "ERROR", "ERROR", PostgresErrorCodes.SerializationFailure);
        await using var count = new NpgsqlCommand("UPDATE log_state SET pending_posts = pending_posts + @n WHERE singleton = 1;", c);
        count.Parameters.AddWithValue("n", pendingBatches);
        await count.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<long?> SealEpochAsync(int minBatches, Func<PendingEpoch, SealedEpoch> seal, CancellationToken cancellationToken = default)
    {
        await using var c = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        // The state row first, FOR UPDATE: a second collector sealing waits here and then finds nothing;
        // an ingest that commits pending entries before this lock is taken is in the read below, one that
        // commits after waits on the row (it adds to the batch count) and its entries stay for the next epoch.
        long size, batches, sealedEpochs;
        await using (var state = new NpgsqlCommand("SELECT tree_size, pending_posts, epoch FROM log_state WHERE singleton = 1 FOR UPDATE;", c))
        await using (var r = await state.ExecuteReaderAsync(cancellationToken))
        {
            await r.ReadAsync(cancellationToken);
            (size, batches, sealedEpochs) = (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
        }
        if (batches < minBatches)
            return null;
        // Ordered by the entry, so that the sealer never sees the heap's (arrival) order at all.
        var entries = new List<byte[]>();
        var ages = new List<long>();
        await using (var pending = new NpgsqlCommand("SELECT entry, @epoch - arrived FROM log_pending ORDER BY entry;", c))
        {
            pending.Parameters.AddWithValue("epoch", sealedEpochs);
            await using var r = await pending.ExecuteReaderAsync(cancellationToken);
            while (await r.ReadAsync(cancellationToken))
            {
                entries.Add((byte[])r.GetValue(0));
                ages.Add(r.GetInt64(1));
            }
        }
        if (entries.Count == 0)
            return null;
        var epoch = seal(new PendingEpoch(new PostgresLogReader(c, size), size, entries, ages));
        if (epoch.Leaves.Count == 0)
        {
            // Nothing due: the epoch count moves on (so entries age towards their epoch), nothing is signed.
            await Exec(c, "UPDATE log_state SET epoch = epoch + 1, pending_posts = 0 WHERE singleton = 1;", cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return null;
        }
        await using var batch = new NpgsqlBatch(c);
        var tiles = new NpgsqlBatchCommand("""
            INSERT INTO log_tiles (level, tile_index, hashes) SELECT * FROM unnest(@l::integer[], @i::bigint[], @h::bytea[])
            ON CONFLICT (level, tile_index) DO UPDATE SET hashes = excluded.hashes;
            """);
        tiles.Parameters.AddWithValue("l", epoch.Append.Tiles.Select(t => t.Level).ToArray());
        tiles.Parameters.AddWithValue("i", epoch.Append.Tiles.Select(t => t.Index).ToArray());
        tiles.Parameters.AddWithValue("h", epoch.Append.Tiles.Select(t => t.Hashes).ToArray());
        var bundles = new NpgsqlBatchCommand("""
            INSERT INTO log_bundles (bundle_index, entries) SELECT * FROM unnest(@i::bigint[], @e::bytea[])
            ON CONFLICT (bundle_index) DO UPDATE SET entries = excluded.entries;
            """);
        bundles.Parameters.AddWithValue("i", epoch.Append.Bundles.Select(b => b.Index).ToArray());
        bundles.Parameters.AddWithValue("e", epoch.Append.Bundles.Select(b => b.Entries).ToArray());
        var leaves = new NpgsqlBatchCommand("""
            INSERT INTO log_leaves (entry, leaf_index) SELECT * FROM unnest(@e::bytea[], @i::bigint[]) ON CONFLICT DO NOTHING;
            """);
        leaves.Parameters.AddWithValue("e", epoch.Leaves.ToArray());
        leaves.Parameters.AddWithValue("i", Enumerable.Range(0, epoch.Leaves.Count).Select(i => size + i).ToArray());
        // The sealed entries leave the pending set; the others wait for their epoch.
        var sealedEntries = new NpgsqlBatchCommand("DELETE FROM log_pending WHERE entry = ANY(@e);");
        sealedEntries.Parameters.AddWithValue("e", epoch.Leaves.ToArray());
        // A row a previous-version collector wrote during a rolling upgrade loses its report fields here.
        var logged = new NpgsqlBatchCommand("""
            UPDATE commitments SET state = 1, retire = coalesce(retire, period), metric = NULL, period = NULL, value = NULL
            WHERE state = 0 AND commitment = ANY(@c);
            """);
        logged.Parameters.AddWithValue("c", epoch.Leaves.Where(e => e[0] == (byte)LogEntryKind.Report).Select(e => e[1..]).ToArray());
        var checkpoint = new NpgsqlBatchCommand("INSERT INTO log_checkpoints (tree_size, note) VALUES (@n, @note);");
        checkpoint.Parameters.AddWithValue("n", epoch.Append.NewSize);
        checkpoint.Parameters.AddWithValue("note", epoch.Checkpoint);
        var finish = new NpgsqlBatchCommand("UPDATE log_state SET tree_size = @n, pending_posts = 0, epoch = epoch + 1 WHERE singleton = 1;");
        finish.Parameters.AddWithValue("n", epoch.Append.NewSize);
        foreach (var cmd in new[] { tiles, bundles, leaves, sealedEntries, logged, checkpoint, finish })
            batch.BatchCommands.Add(cmd);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        Interlocked.Exchange(ref _dirtyShared, 1);
        return epoch.Append.NewSize;
    }

    public async Task<T> ReadLogAsync<T>(Func<ILogReader, T> read, CancellationToken cancellationToken = default)
    {
        await using var c = await _dataSource.OpenConnectionAsync(cancellationToken);
        // Read committed, not one snapshot: the key-order rewrite TRUNCATEs log_pending and commitments, and a
        // snapshot taken before it commits sees those tables empty afterwards (TRUNCATE is not MVCC-safe),
        // which answered "not-in-log" for a pending commitment. Nothing is lost by it: tiles, bundles and
        // leaves only grow, and the complete subtrees a proof at the size read first needs never change.
        await using var tx = await c.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);
        return read(new PostgresLogReader(c, PostgresLogReader.ReadSize(c)));
    }

    public async Task<IReadOnlyList<DeletionStatus>> DeleteByReceiptAsync(string storedApp, IReadOnlyList<DeletionReceipt> receipts, CancellationToken cancellationToken = default)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await DeleteOnceAsync(receipts, cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < MaxAttempts)
            {
                await Task.Delay(Random.Shared.Next(5, 50) * attempt, cancellationToken);
            }
        }
    }

    private async Task<IReadOnlyList<DeletionStatus>> DeleteOnceAsync(IReadOnlyList<DeletionReceipt> receipts, CancellationToken cancellationToken)
    {
        await using var c = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        var statuses = new List<DeletionStatus>(receipts.Count);
        bool deleted = false;
        foreach (var receipt in receipts)
        {
            // Only the app's stored name comes back: the receipt's metric, period and value are what the commitment
            // was computed over (the collector recomputed it from them), so nothing of the report is stored.
            // FOR UPDATE: two requests deleting the same report serialise here, and the second finds the row gone.
            string? app;
            await using (var find = new NpgsqlCommand("SELECT app FROM commitments WHERE commitment = @c FOR UPDATE;", c))
            {
                find.Parameters.AddWithValue("c", receipt.Commitment);
                app = await find.ExecuteScalarAsync(cancellationToken) as string;
            }
            if (app is null)
            {
                // No row: deleted before (its deletion entry is logged or pending), or retention retired it (its
                // report entry is in the log and nothing in the counts is left to take off), or nothing matches.
                await using var inLog = new NpgsqlCommand("""
                    SELECT EXISTS (SELECT 1 FROM log_leaves WHERE entry = @d) OR EXISTS (SELECT 1 FROM log_pending WHERE entry = @d),
                           EXISTS (SELECT 1 FROM log_leaves WHERE entry = @r) OR EXISTS (SELECT 1 FROM log_pending WHERE entry = @r);
                    """, c);
                inLog.Parameters.AddWithValue("d", new LogEntry(LogEntryKind.Deletion, receipt.Commitment).ToBytes());
                inLog.Parameters.AddWithValue("r", new LogEntry(LogEntryKind.Report, receipt.Commitment).ToBytes());
                await using var r = await inLog.ExecuteReaderAsync(cancellationToken);
                await r.ReadAsync(cancellationToken);
                statuses.Add(r.GetBoolean(0) ? DeletionStatus.AlreadyDeleted : r.GetBoolean(1) ? DeletionStatus.Expired : DeletionStatus.NotFound);
                continue;
            }
            await using (var raw = new NpgsqlCommand("""
                UPDATE raw_reports SET reports = reports - 1
                WHERE app = @app AND metric = @metric AND period = @period AND value = @value AND period_start = @start;
                """, c))
            {
                raw.Parameters.AddWithValue("app", app);
                raw.Parameters.AddWithValue("metric", receipt.Metric);
                raw.Parameters.AddWithValue("period", receipt.Period);
                raw.Parameters.AddWithValue("value", receipt.Value);
                raw.Parameters.AddWithValue("start", PeriodStart(receipt.Period));
                if (await raw.ExecuteNonQueryAsync(cancellationToken) == 0)
                {
                    // The commitment retires with its ISO week, a day's raw row with its day: in between, nothing is left to take off.
                    statuses.Add(DeletionStatus.Expired);
                    continue;
                }
            }
            await using var batch = new NpgsqlBatch(c);
            var rawGone = new NpgsqlBatchCommand("""
                DELETE FROM raw_reports
                WHERE app = @app AND metric = @metric AND period = @period AND value = @value AND period_start = @start AND reports <= 0;
                """);
            Bind(rawGone, app, receipt.Metric, receipt.Period, receipt.Value);
            rawGone.Parameters.AddWithValue("start", PeriodStart(receipt.Period));
            batch.BatchCommands.Add(rawGone);
            foreach (var (cell, total) in RollupCells.Of(receipt.Value))
            {
                var rollup = new NpgsqlBatchCommand("""
                    UPDATE rollups SET reports = reports - 1, total = total - @total
                    WHERE app = @app AND metric = @metric AND period = @period AND value = @value;
                    """);
                Bind(rollup, app, receipt.Metric, receipt.Period, cell);
                rollup.Parameters.AddWithValue("total", total);
                batch.BatchCommands.Add(rollup);
                var rollupGone = new NpgsqlBatchCommand("DELETE FROM rollups WHERE app = @app AND metric = @metric AND period = @period AND value = @value AND reports <= 0;");
                Bind(rollupGone, app, receipt.Metric, receipt.Period, cell);
                batch.BatchCommands.Add(rollupGone);
            }
            // Deleted, not marked (the key-order rewrite then drops the dead tuple's file); a pending report entry stays
            // pending, so the deletion entry has a logged report to point at. The deletion entry lands in one of the
            // next K epochs like any other entry.
            var forget = new NpgsqlBatchCommand("DELETE FROM commitments WHERE commitment = @c;");
            forget.Parameters.AddWithValue("c", receipt.Commitment);
            var pending = new NpgsqlBatchCommand("""
                INSERT INTO log_pending (entry, arrived) VALUES (@e, (SELECT epoch FROM log_state WHERE singleton = 1)) ON CONFLICT DO NOTHING;
                """);
            pending.Parameters.AddWithValue("e", new LogEntry(LogEntryKind.Deletion, receipt.Commitment).ToBytes());
            batch.BatchCommands.Add(forget);
            batch.BatchCommands.Add(pending);
            await batch.ExecuteNonQueryAsync(cancellationToken);
            statuses.Add(DeletionStatus.Deleted);
            deleted = true;
        }
        if (deleted)
        {
            await using var count = new NpgsqlCommand("UPDATE log_state SET pending_posts = pending_posts + 1 WHERE singleton = 1;", c);
            await count.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        if (deleted)
        {
            // Dead tuples keep their bytes until their file is rewritten: a raw row counted down (or deleted) keeps
            // the deleted report's value in its old version, so the partitions it lives in and the rollups are
            // rewritten now, not at the next scheduled rewrite (a copy after deletion holds no value).
            var months = receipts.Select(r => PeriodStart(r.Period)).Select(d => new DateOnly(d.Year, d.Month, 1)).ToHashSet();
            foreach (var (partition, month) in await PartitionsAsync(c, cancellationToken))
                if (months.Contains(month))
                    await RewriteTableAsync(c, partition, RawKey, cancellationToken);
            await RewriteTableAsync(c, "rollups", "app, metric, period, value", cancellationToken);
            Interlocked.Exchange(ref _dirtyShared, 1);
        }
        return statuses;
    }

    private static void Bind(NpgsqlBatchCommand cmd, string app, string metric, string period, string value)
    {
        cmd.Parameters.AddWithValue("app", app);
        cmd.Parameters.AddWithValue("metric", metric);
        cmd.Parameters.AddWithValue("period", period);
        cmd.Parameters.AddWithValue("value", value);
    }

    /// <summary>
    /// Inserts the group's tokens (sorted, so concurrent groups lock in one order) and returns those that
    /// were new, each as key id and nonce concatenated.
    /// </summary>
    private static async Task<HashSet<byte[]>> SpendTokensAsync(NpgsqlConnection c, IReadOnlyList<AppendRequest> group, List<int> candidates,
        CancellationToken cancellationToken)
    {
        var fresh = new HashSet<byte[]>(ByteArrayComparer.Instance);
        var tokens = candidates.Select(i => group[i].Token).OfType<SpentToken>()
            .Select(t => t.KeyId.Concat(t.Nonce).ToArray()).Distinct(ByteArrayComparer.Instance).Order(ByteArrayComparer.Instance).ToArray();
        if (tokens.Length == 0)
            return fresh;
        await using var insert = new NpgsqlCommand("""
            INSERT INTO spent_tokens (token_key, nonce)
            SELECT substring(t FROM 1 FOR 32), substring(t FROM 33) FROM unnest(@tokens::bytea[]) AS t
            ON CONFLICT DO NOTHING
            RETURNING token_key || nonce;
            """, c);
        insert.Parameters.AddWithValue("tokens", tokens);
        await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            fresh.Add((byte[])reader.GetValue(0));
        return fresh;
    }

    public async Task<int> PurgeSpentTokensAsync(IReadOnlyCollection<byte[]> keepKeyIds, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand("DELETE FROM spent_tokens WHERE NOT (token_key = ANY(@keep));");
        cmd.Parameters.AddWithValue("keep", keepKeyIds.ToArray());
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<long> CountSpentTokensAsync(CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT count(*) FROM spent_tokens;");
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<bool> TryTakeIssuanceBudgetAsync(long period, byte[] partition, int tokens, int budget, CancellationToken cancellationToken = default)
    {
        // One statement: ON CONFLICT locks the row, so two collectors taking the last token cannot both get it.
        await using var cmd = _dataSource.CreateCommand("""
            INSERT INTO issuance_budgets (period, client_tag, used) SELECT @period, @partition, @tokens WHERE @tokens <= @budget
            ON CONFLICT (period, client_tag) DO UPDATE SET used = issuance_budgets.used + excluded.used
                WHERE issuance_budgets.used + excluded.used <= @budget
            RETURNING used;
            """);
        cmd.Parameters.AddWithValue("period", period);
        cmd.Parameters.AddWithValue("partition", partition);
        cmd.Parameters.AddWithValue("tokens", tokens);
        cmd.Parameters.AddWithValue("budget", budget);
        return await cmd.ExecuteScalarAsync(cancellationToken) is not null;
    }

    public async Task<int> PurgeIssuanceBudgetsAsync(long period, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand("DELETE FROM issuance_budgets WHERE period < @period;");
        cmd.Parameters.AddWithValue("period", period);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddRawUpsert(NpgsqlBatch batch, GroupDelta delta)
    {
        // GroupDelta may hold equal cells twice (it compares names by reference); one statement may
        // update a row only once, so merge by value, then sort so that concurrent groups lock in one order.
        var cells = new SortedDictionary<(string App, string Metric, string Period, string Value), long>(CellOrder.Instance);
        foreach (var (cell, reports) in delta.Raw)
            cells[cell] = cells.GetValueOrDefault(cell) + reports;
        if (cells.Count == 0)
            return;
        var cmd = new NpgsqlBatchCommand("""
            INSERT INTO raw_reports AS r (app, metric, period, value, reports, period_start)
            SELECT * FROM unnest(@app::text[], @metric::text[], @period::text[], @value::text[], @reports::bigint[], @start::date[])
            ON CONFLICT (app, metric, period, value, period_start) DO UPDATE SET reports = r.reports + excluded.reports;
            """);
        cmd.Parameters.AddWithValue("app", cells.Keys.Select(k => k.App).ToArray());
        cmd.Parameters.AddWithValue("metric", cells.Keys.Select(k => k.Metric).ToArray());
        cmd.Parameters.AddWithValue("period", cells.Keys.Select(k => k.Period).ToArray());
        cmd.Parameters.AddWithValue("value", cells.Keys.Select(k => k.Value).ToArray());
        cmd.Parameters.AddWithValue("reports", cells.Values.ToArray());
        cmd.Parameters.AddWithValue("start", cells.Keys.Select(k => PeriodStart(k.Period)).ToArray());
        batch.BatchCommands.Add(cmd);
    }

    private static void AddRollupUpsert(NpgsqlBatch batch, GroupDelta delta)
    {
        var cells = new SortedDictionary<(string App, string Metric, string Period, string Value), (long Reports, long Total)>(CellOrder.Instance);
        foreach (var (cell, counts) in delta.Rollups)
        {
            var sum = cells.GetValueOrDefault(cell);
            cells[cell] = (sum.Reports + counts.Reports, sum.Total + counts.Total);
        }
        if (cells.Count == 0)
            return;
        var cmd = new NpgsqlBatchCommand("""
            INSERT INTO rollups AS r (app, metric, period, value, reports, total)
            SELECT * FROM unnest(@app::text[], @metric::text[], @period::text[], @value::text[], @reports::bigint[], @total::bigint[])
            ON CONFLICT (app, metric, period, value) DO UPDATE SET reports = r.reports + excluded.reports, total = r.total + excluded.total;
            """);
        cmd.Parameters.AddWithValue("app", cells.Keys.Select(k => k.App).ToArray());
        cmd.Parameters.AddWithValue("metric", cells.Keys.Select(k => k.Metric).ToArray());
        cmd.Parameters.AddWithValue("period", cells.Keys.Select(k => k.Period).ToArray());
        cmd.Parameters.AddWithValue("value", cells.Keys.Select(k => k.Value).ToArray());
        cmd.Parameters.AddWithValue("reports", cells.Values.Select(v => v.Reports).ToArray());
        cmd.Parameters.AddWithValue("total", cells.Values.Select(v => v.Total).ToArray());
        batch.BatchCommands.Add(cmd);
    }

    private static readonly ConcurrentDictionary<string, DateOnly> PeriodStarts = new(StringComparer.Ordinal);

    /// <summary>
    /// The first day of a period; the store only ever receives validated periods. Remembered, because
    /// every report of a group passes here and only a few periods are ever in use.
    /// </summary>
    internal static DateOnly PeriodStart(string period)
    {
        if (PeriodStarts.TryGetValue(period, out var start))
            return start;
        start = PeriodKey.TryParse(period, out var p) ? p.Value.Start : throw new FormatException($"'{period}' is not a period.");
        if (PeriodStarts.Count < 100_000) // bounded: the accepted window holds a few hundred periods
            PeriodStarts.TryAdd(period, start);
        return start;
    }

    /// <summary>
    /// Creates the monthly raw_reports partitions a group needs and no collector has created yet. Under
    /// the schema lock, because two collectors creating the same partition at once would otherwise fail.
    /// </summary>
    private Task EnsurePartitionsAsync(IReadOnlyList<AppendRequest> group, CancellationToken cancellationToken) =>
        EnsurePartitionsAsync(group.SelectMany(r => r.Reports).Select(r => PeriodStart(r.Period)), cancellationToken);

    internal async Task EnsurePartitionsAsync(IEnumerable<DateOnly> periodStarts, CancellationToken cancellationToken)
    {
        List<DateOnly>? missing = null;
        foreach (var start in periodStarts)
        {
            var month = new DateOnly(start.Year, start.Month, 1);
            if (!_partitions.ContainsKey(month) && !(missing ??= []).Contains(month))
                missing.Add(month);
        }
        if (missing is null)
            return;
        await using var c = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        await Exec(c, $"SELECT pg_advisory_xact_lock({SchemaLock});", cancellationToken);
        foreach (var month in missing)
            await Exec(c, $"""
                CREATE TABLE IF NOT EXISTS raw_reports_{month:yyyy_MM} PARTITION OF raw_reports
                FOR VALUES FROM ('{month:yyyy-MM-dd}') TO ('{month.AddMonths(1):yyyy-MM-dd}');
                """, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        foreach (var month in missing)
            _partitions.TryAdd(month, true);
    }

    public async Task SaveRegistryAsync(StoredRegistry registry, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand(
            "INSERT INTO registries (app, version, yaml, sha256) VALUES (@app, @version, @yaml, @sha) ON CONFLICT (app, version) DO NOTHING;");
        cmd.Parameters.AddWithValue("app", registry.App);
        cmd.Parameters.AddWithValue("version", registry.Version);
        cmd.Parameters.AddWithValue("yaml", registry.Yaml);
        cmd.Parameters.AddWithValue("sha", registry.Sha256);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StoredRegistry>> LoadRegistriesAsync(CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand();
        return await ReportReads.RegistriesAsync(cmd, cancellationToken);
    }

    public async Task<IReadOnlyList<RollupCell>> ReadRollupsAsync(string app, string? metric = null, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand();
        return await ReportReads.RollupsAsync(cmd, app, metric, cancellationToken);
    }

    public async Task<IReadOnlyList<RollupCell>> ReadRollupsAsync(string app, string metric, string fromPeriod, string toPeriod, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand();
        return await ReportReads.RollupsAsync(cmd, app, metric, fromPeriod, toPeriod, cancellationToken);
    }

    public async Task<IReadOnlyList<StoredRelease>> ReadReleasesAsync(string app, string metric, string fromPeriod, string toPeriod, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand();
        return await ReportReads.ReleasesAsync(cmd, app, metric, fromPeriod, toPeriod, cancellationToken);
    }

    public async Task SaveReleasesAsync(IReadOnlyList<StoredRelease> releases, CancellationToken cancellationToken = default)
    {
        if (releases.Count == 0)
            return;
        // One statement; DO NOTHING, never DO UPDATE: a release, once stored, is what the public saw, and
        // when two collectors release a period at once the first commit wins and both serve it.
        await using var cmd = _dataSource.CreateCommand("""
            INSERT INTO releases (app, metric, period, released_on, document)
            SELECT * FROM unnest(@app::text[], @metric::text[], @period::text[], @on::date[], @doc::text[])
            ON CONFLICT (app, metric, period) DO NOTHING;
            """);
        cmd.Parameters.AddWithValue("app", releases.Select(r => r.App).ToArray());
        cmd.Parameters.AddWithValue("metric", releases.Select(r => r.Metric).ToArray());
        cmd.Parameters.AddWithValue("period", releases.Select(r => r.Period).ToArray());
        cmd.Parameters.AddWithValue("on", releases.Select(r => r.ReleasedOn).ToArray());
        cmd.Parameters.AddWithValue("doc", releases.Select(r => r.Document).ToArray());
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<RawRow>> ReadRawAsync(string app, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand();
        return await ReportReads.RawAsync(cmd, app, cancellationToken);
    }

    public async Task<int> PurgeIdempotencyKeysAsync(DateOnly firstSeenBefore, CancellationToken cancellationToken = default)
    {
        await using var c = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand("DELETE FROM idempotency_keys WHERE first_seen < @day;", c);
        cmd.Parameters.AddWithValue("day", firstSeenBefore);
        int forgotten = await cmd.ExecuteNonQueryAsync(cancellationToken);
        // DELETE only marks the rows dead: their bytes stay in the heap and the index until vacuum
        // reuses the space, if ever. A rewrite puts the live rows in a new file and drops the old one.
        if (forgotten > 0)
            await RewriteTableAsync(c, "idempotency_keys", "key_hash", cancellationToken);
        return forgotten;
    }

    public async Task<PurgeRecord> PurgeRawAsync(string app, DateOnly purgedBefore, DateOnly today, CancellationToken cancellationToken = default)
    {
        // One statement: delete, count what this statement deleted, log it. A second collector purging at
        // the same moment waits on the row locks, then finds the rows gone and adds nothing to the counts.
        // The log gets its entry whether rows went or not (one entry per scheduled purge; an entry
        // only when rows went told the public, for every day, whether any report existed).
        // period_start < @before lets PostgreSQL skip every partition that starts later.
        await using var cmd = _dataSource.CreateCommand("""
            WITH gone AS (
                DELETE FROM raw_reports
                WHERE app = @app AND period_start < @before
                  AND period_start + CASE WHEN length(period) = 8 THEN 7 ELSE 1 END <= @before
                RETURNING reports),
            purged AS (SELECT count(*) AS raw_rows, coalesce(sum(reports), 0)::bigint AS reports FROM gone),
            logged AS (
                INSERT INTO purge_log (app, day, purged_before, raw_rows, reports)
                SELECT @app, @day, @before, raw_rows, reports FROM purged
                ON CONFLICT (app, day, purged_before) DO UPDATE
                SET raw_rows = purge_log.raw_rows + excluded.raw_rows, reports = purge_log.reports + excluded.reports)
            SELECT raw_rows, reports FROM purged;
            """);
        cmd.Parameters.AddWithValue("app", app);
        cmd.Parameters.AddWithValue("before", purgedBefore);
        cmd.Parameters.AddWithValue("day", today);
        PurgeRecord record;
        await using (var r = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            await r.ReadAsync(cancellationToken);
            record = new PurgeRecord(app, today, purgedBefore, r.GetInt64(0), r.GetInt64(1));
        }
        // The commitments of the purged periods go too, by their retirement week (their leaves stay in the log:
        // they are only hashes).
        var expired = new List<string>();
        await using (var periods = _dataSource.CreateCommand("SELECT DISTINCT retire FROM commitments WHERE app = @app AND retire IS NOT NULL;"))
        {
            periods.Parameters.AddWithValue("app", app);
            await using var r = await periods.ExecuteReaderAsync(cancellationToken);
            while (await r.ReadAsync(cancellationToken))
                if (CommitmentRetirement.IsDue(r.GetString(0), purgedBefore))
                    expired.Add(r.GetString(0));
        }
        if (expired.Count > 0)
        {
            await using var gone = _dataSource.CreateCommand("DELETE FROM commitments WHERE app = @app AND retire = ANY(@periods);");
            gone.Parameters.AddWithValue("app", app);
            gone.Parameters.AddWithValue("periods", expired.ToArray());
            if (await gone.ExecuteNonQueryAsync(cancellationToken) > 0)
            {
                await using var c = await _dataSource.OpenConnectionAsync(cancellationToken);
                await RewriteTableAsync(c, "commitments", "commitment", cancellationToken);
            }
        }
        if (record.RawRows > 0)
        {
            // The deleted rows are dead tuples in the partitions that held them (those starting before
            // the boundary): rewrite those into new files, so the bytes leave the database files.
            await using var c = await _dataSource.OpenConnectionAsync(cancellationToken);
            foreach (var (partition, month) in await PartitionsAsync(c, cancellationToken))
                if (month < purgedBefore)
                    await RewriteTableAsync(c, partition, RawKey, cancellationToken);
            await RewriteTableAsync(c, "purge_log", "app, day, purged_before", cancellationToken);
        }
        return record;
    }

    public async Task<IReadOnlyList<PurgeRecord>> ReadPurgesAsync(string app, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand();
        return await ReportReads.PurgesAsync(cmd, app, cancellationToken);
    }

    public async Task<bool> RewriteInKeyOrderAsync(bool force = false, CancellationToken cancellationToken = default)
    {
        var months = _dirtyMonths.Keys.ToList();
        bool shared = Interlocked.Exchange(ref _dirtyShared, 0) == 1;
        foreach (var m in months)
            _dirtyMonths.TryRemove(m, out _);
        if (!force && !shared && months.Count == 0)
            return false;
        try
        {
            await using var c = await _dataSource.OpenConnectionAsync(cancellationToken);
            // One collector at a time: several collectors rewriting the same table would only queue on its lock.
            await using (var tryLock = new NpgsqlCommand($"SELECT pg_try_advisory_lock({RewriteLock});", c))
                if (!(bool)(await tryLock.ExecuteScalarAsync(cancellationToken))!)
                {
                    MarkDirty(months, shared);
                    return false;
                }
            try
            {
                foreach (var (partition, month) in await PartitionsAsync(c, cancellationToken))
                    if (force || months.Contains(month))
                        await RewriteTableAsync(c, partition, RawKey, cancellationToken);
                if (force || shared)
                    foreach (var (table, key) in SharedTables)
                        await RewriteTableAsync(c, table, key, cancellationToken);
            }
            finally
            {
                await Exec(c, $"SELECT pg_advisory_unlock({RewriteLock});", CancellationToken.None);
            }
            return true;
        }
        catch
        {
            MarkDirty(months, shared); // the next run tries again
            throw;
        }
    }

    private void MarkDirty(List<DateOnly> months, bool shared)
    {
        foreach (var m in months)
            _dirtyMonths.TryAdd(m, true);
        if (shared)
            Interlocked.Exchange(ref _dirtyShared, 1);
    }

    /// <summary>raw_reports' partitions and the first day of the month each holds.</summary>
    private static async Task<List<(string Name, DateOnly Month)>> PartitionsAsync(NpgsqlConnection c, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'raw_reports'::regclass ORDER BY 1;
            """, c);
        var list = new List<(string, DateOnly)>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            var name = r.GetString(0);
            if (DateOnly.TryParseExact(name["raw_reports_".Length..], "yyyy_MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var month))
                list.Add((name, month));
        }
        return list;
    }

    /// <summary>
    /// Rewrites one table in key order, in one transaction: every row is copied aside, the table is
    /// truncated (PostgreSQL gives it a new, empty file and drops the old one, dead rows and all, at
    /// commit; the first segment is cut to zero bytes at once) and the rows go back sorted by key. After
    /// it, heap order, <c>ctid</c>, COPY / pg_dump order and an unordered SELECT all follow the key, and
    /// every row carries the rewrite's transaction id, so <c>xmin</c> no longer groups a batch's cells.
    /// Writers to this table wait for the commit (one table at a time, so no lock cycle with ingest).
    /// </summary>
    private static async Task RewriteTableAsync(NpgsqlConnection c, string table, string key, CancellationToken cancellationToken)
    {
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        await Exec(c, $"""
            LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;
            CREATE TEMP TABLE candor_rewrite ON COMMIT DROP AS SELECT * FROM {table};
            TRUNCATE {table};
            INSERT INTO {table} SELECT * FROM candor_rewrite ORDER BY {key};
            """, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    private static async Task Exec(NpgsqlConnection c, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>, IComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] b)
        {
            var h = new HashCode();
            h.AddBytes(b);
            return h.ToHashCode();
        }
        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }

    /// <summary>Ordinal order of cells: the order PostgreSQL's "C" collation keeps them in.</summary>
    private sealed class CellOrder : IComparer<(string App, string Metric, string Period, string Value)>
    {
        public static readonly CellOrder Instance = new();
        public int Compare((string App, string Metric, string Period, string Value) x, (string App, string Metric, string Period, string Value) y)
        {
            int c = string.CompareOrdinal(x.App, y.App);
            if (c == 0) c = string.CompareOrdinal(x.Metric, y.Metric);
            if (c == 0) c = string.CompareOrdinal(x.Period, y.Period);
            if (c == 0) c = string.CompareOrdinal(x.Value, y.Value);
            return c;
        }
    }
}
