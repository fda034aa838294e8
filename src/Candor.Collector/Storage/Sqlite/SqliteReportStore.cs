using Candor.Collector.Transparency;
using Candor.Protocol;
using Candor.Transparency;
using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

/// <summary>
/// The embedded default engine: one SQLite file in WAL mode with <c>synchronous=FULL</c>, so a commit
/// is on disk before it returns and an acknowledged report survives a crash or power cut. Ingest groups
/// reach the disk through <see cref="WalFlush"/> instead (the same guarantee, with the fsync outside the
/// writer lock so that the next group is written meanwhile). One writer
/// connection takes whole groups of batches (group commit); readers use their own pooled connections.
///
/// At rest (docs/privacy.md): the writer runs with <c>secure_delete</c>, so deleted and moved cells are
/// zeroed in their pages; after every purge the WAL is checkpointed and truncated, so no older page
/// image survives in it; <see cref="RewriteInKeyOrderAsync"/> VACUUMs the file, which rebuilds every
/// table in primary-key order and leaves no free page, so the file's page and cell order no longer
/// says which cells were written by one commit.
/// </summary>
public sealed class SqliteReportStore : IReportStore
{
    /// <summary>Schema version this code writes (PRAGMA user_version); the versions are in <see cref="SqliteMigrations"/>.</summary>
    public static int SchemaVersion => SqliteMigrations.Latest;

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private SqliteConnection? _writer;
    private SqliteCommand? _upsertRaw, _upsertRollup, _findKey, _insertKey, _spendToken, _knownCommitment, _insertCommitment;
    private SqliteCommand? _syncNormal, _syncFull;
    private WalFlush? _walFlush;
    private long _writesSinceRewrite;

    public SqliteReportStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Engine => "sqlite";

    /// <summary>Full path of the database file (its -wal and -shm files sit beside it).</summary>
    public string Path { get; }

    public Task MigrateAsync(CancellationToken cancellationToken = default) => MigrateAsync(SchemaVersion, cancellationToken);

    /// <summary>Applies the migrations up to <paramref name="targetVersion"/> (tests build older schemas with it).</summary>
    internal async Task MigrateAsync(int targetVersion, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var writer = new SqliteConnection(_connectionString);
        await writer.OpenAsync(cancellationToken);
        try
        {
            // Before anything is written, migrations included: a delete or an update that moves a cell
            // leaves its old bytes in the page otherwise, readable in the file long after (privacy invariant 8).
            await Exec(writer, "PRAGMA secure_delete=ON;");
            long version = (long)(await Scalar(writer, "PRAGMA user_version;"))!;
            if (version > SchemaVersion)
                throw new StoreSchemaException($"The database {Path} has schema version {version}, newer than this Candor knows ({SchemaVersion}). Upgrade Candor before serving this database.");

            await Exec(writer, "PRAGMA journal_mode=WAL;");
            foreach (var (v, sql) in SqliteMigrations.All)
            {
                if (v <= version || v > targetVersion)
                    continue;
                // One transaction per version, the version bump inside it: a crash leaves a whole version or none.
                using var tx = writer.BeginTransaction();
                await Exec(writer, sql, tx);
                await Exec(writer, $"PRAGMA user_version = {v};", tx);
                tx.Commit();
            }
            // FULL: the WAL is synced at every commit, so "acknowledged" means "on disk".
            await Exec(writer, "PRAGMA synchronous=FULL;");
            // Checkpoint every 4 MiB of WAL and cut it back to 4 MiB after each. Larger limits (64 MiB
            // before) wedged a full disk: once space was freed the WAL refilled it before a checkpoint
            // could complete and restart it, so the collector never came back (docs/operations.md, "Disk full").
            await Exec(writer, $"PRAGMA wal_autocheckpoint={WalCheckpointPages};");
            await Exec(writer, $"PRAGMA journal_size_limit={WalCheckpointPages * 4096L};");
            if ((version < SqliteMigrations.FingerprintWipe && targetVersion >= SqliteMigrations.FingerprintWipe)
                || (version > 0 && version < SqliteMigrations.CommitmentsWithoutValues && targetVersion >= SqliteMigrations.CommitmentsWithoutValues))
                await Exec(writer, "PRAGMA wal_checkpoint(TRUNCATE);"); // the wiped fingerprints' (or commitments' values') old pages leave the WAL too
            PrepareWriter(writer, targetVersion >= SqliteMigrations.FingerprintWipe ? "body_mac" : "body_hash");
            _writer = writer;
        }
        catch
        {
            await writer.DisposeAsync();
            throw;
        }
    }

    /// <summary>Pages of WAL after which SQLite checkpoints (4 KiB pages: 4 MiB).</summary>
    internal const int WalCheckpointPages = 1024;

    /// <summary>The schema version of the database; 0 when Candor never ran on it.</summary>
    public async Task<int> ReadVersionAsync(CancellationToken cancellationToken = default)
    {
        if (!File.Exists(Path))
            return 0;
        await using var c = await OpenAsync(cancellationToken);
        return (int)(long)(await Scalar(c, "PRAGMA user_version;"))!;
    }

    /// <param name="bodyColumn">The fingerprint column's name at the schema version written (tests write old schemas).</param>
    private void PrepareWriter(SqliteConnection c, string bodyColumn)
    {
        _upsertRaw = Command(c, """
            INSERT INTO raw_reports (app, metric, period, value, reports) VALUES ($app, $metric, $period, $value, $reports)
            ON CONFLICT (app, metric, period, value) DO UPDATE SET reports = reports + excluded.reports;
            """, "$app", "$metric", "$period", "$value", "$reports");
        _upsertRollup = Command(c, """
            INSERT INTO rollups (app, metric, period, value, reports, total) VALUES ($app, $metric, $period, $value, $reports, $total)
            ON CONFLICT (app, metric, period, value) DO UPDATE SET reports = reports + excluded.reports, total = total + excluded.total;
            """, "$app", "$metric", "$period", "$value", "$reports", "$total");
        _findKey = Command(c, $"SELECT {bodyColumn}, accepted, next_after FROM idempotency_keys WHERE key_hash = $key;", "$key");
        _insertKey = Command(c, $"INSERT INTO idempotency_keys (key_hash, {bodyColumn}, accepted, next_after, first_seen) VALUES ($key, $body, $accepted, $next, $day);",
            "$key", "$body", "$accepted", "$next", "$day");
        _syncNormal = Command(c, "PRAGMA synchronous=NORMAL;");
        _syncFull = Command(c, "PRAGMA synchronous=FULL;");
        _walFlush = new WalFlush(Path + "-wal");
    }

    private static SqliteCommand Command(SqliteConnection c, string sql, params string[] parameters)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var p in parameters)
            cmd.Parameters.Add(new SqliteParameter { ParameterName = p });
        cmd.Prepare();
        return cmd;
    }

    public async Task<AppendOutcome[]> AppendGroupAsync(IReadOnlyList<AppendRequest> group, CancellationToken cancellationToken = default)
    {
        var writer = _writer ?? throw new InvalidOperationException("Call MigrateAsync before writing.");
        AppendOutcome[] outcomes;
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            // Ingest groups only: commit without SQLite's sync, then sync the WAL below, after the writer
            // is free for the next group (WalFlush says why that is as durable as FULL). Every other
            // write of this store keeps synchronous=FULL, restored in the finally.
            _syncNormal!.ExecuteNonQuery();
            using var tx = writer.BeginTransaction(deferred: false);
            _upsertRaw!.Transaction = _upsertRollup!.Transaction = _findKey!.Transaction = _insertKey!.Transaction = tx;
            outcomes = new AppendOutcome[group.Count];
            var delta = new GroupDelta();
            var seen = new HashSet<byte[]>(ByteArrayEquality.Instance);
            var held = HeldCommitments(group, tx);
            var commitments = new List<(byte[] Commitment, string App, ValidatedReport Report)>();
            long pendingBatches = 0;
            for (int i = 0; i < group.Count; i++)
            {
                var request = group[i];
                if (request.IdempotencyKey is { } key && FindKey(key) is { } previous)
                {
                    outcomes[i] = Ingest.IdempotencyFingerprint.Matches(previous.BodyMac, request.BodyMac)
                        ? new(AppendOutcomeKind.Replayed, previous.Response)
                        : new(AppendOutcomeKind.KeyReused, previous.Response);
                    continue;
                }
                // After the replay check (a retry must get its first answer), before the token is spent and the
                // key remembered: a batch refused for a known commitment leaves nothing behind.
                if (KnownCommitments(request, seen, held) is { } known)
                {
                    outcomes[i] = new(AppendOutcomeKind.CommitmentKnown, request.Response, known);
                    continue;
                }
                // After the replay check (a retry of a stored batch carries the same token and must get its
                // first answer), before the key is remembered (a refused batch must leave nothing behind).
                if (request.Token is { } token && !SpendToken(token, tx))
                {
                    outcomes[i] = new(AppendOutcomeKind.TokenSpent, request.Response);
                    continue;
                }
                if (request.IdempotencyKey is { } newKey)
                    InsertKey(newKey, request);
                delta.Add(request.App, request.Reports);
                if (CollectCommitments(request, seen, commitments))
                    pendingBatches++;
                outcomes[i] = new(AppendOutcomeKind.Stored, request.Response);
            }
            if (commitments.Count > 0)
                StoreCommitments(commitments, tx);
            if (pendingBatches > 0)
            {
                using var count = writer.CreateCommand();
                count.Transaction = tx;
                count.CommandText = $"UPDATE log_state SET pending_posts = pending_posts + {pendingBatches} WHERE singleton = 1;";
                count.ExecuteNonQuery();
            }
            foreach (var (cell, reports) in delta.Raw)
            {
                var p = _upsertRaw.Parameters;
                p[0].Value = cell.App; p[1].Value = cell.Metric; p[2].Value = cell.Period; p[3].Value = cell.Value; p[4].Value = reports;
                _upsertRaw.ExecuteNonQuery();
            }
            foreach (var (cell, counts) in delta.Rollups)
            {
                var p = _upsertRollup.Parameters;
                p[0].Value = cell.App; p[1].Value = cell.Metric; p[2].Value = cell.Period; p[3].Value = cell.Value;
                p[4].Value = counts.Reports; p[5].Value = counts.Total;
                _upsertRollup.ExecuteNonQuery();
            }
            tx.Commit();
            _writesSinceRewrite++;
            _walFlush!.EnsureOpen();
        }
        finally
        {
            try
            {
                _syncFull!.ExecuteNonQuery();
            }
            finally
            {
                _writeLock.Release();
            }
        }
        // Nobody is answered before this: the group is on disk once the sync that began after its commit ends.
        await _walFlush.FlushAsync();
        return outcomes;
    }

    /// <summary>
    /// The group's commitments that the store holds already, in its commitments or (after retention purged
    /// the row) in its log, in one statement for the whole group: a statement per report made the writer
    /// thread, not the disk, the limit of ingest with the log on.
    /// </summary>
    private HashSet<byte[]> HeldCommitments(IReadOnlyList<AppendRequest> group, SqliteTransaction tx)
    {
        var held = new HashSet<byte[]>(ByteArrayEquality.Instance);
        var json = CommitmentJson(group.SelectMany(r => r.Reports).Where(r => r.Commitment is not null).Select(r => (r.Commitment!, (string?)null, r)));
        if (json is null)
            return held;
        _knownCommitment ??= Command(_writer!, """
            SELECT unhex(j.value ->> 0) FROM json_each($rows) AS j
            WHERE EXISTS (SELECT 1 FROM commitments WHERE commitment = unhex(j.value ->> 0))
               OR EXISTS (SELECT 1 FROM log_pending WHERE entry = unhex('00' || (j.value ->> 0)))
               OR EXISTS (SELECT 1 FROM log_leaves WHERE entry = unhex('00' || (j.value ->> 0)));
            """, "$rows");
        _knownCommitment.Transaction = tx;
        _knownCommitment.Parameters[0].Value = json;
        using var r = _knownCommitment.ExecuteReader();
        while (r.Read())
            held.Add((byte[])r.GetValue(0));
        return held;
    }

    /// <summary>The indices of the request's reports whose commitment is held already or earlier in this group; null when none is.</summary>
    private static List<int>? KnownCommitments(AppendRequest request, HashSet<byte[]> seen, HashSet<byte[]> held)
    {
        List<int>? known = null;
        for (int r = 0; r < request.Reports.Count; r++)
            if (request.Reports[r].Commitment is { } c && (seen.Contains(c) || held.Contains(c)))
                (known ??= []).Add(r);
        return known;
    }

    /// <summary>Rows as a JSON array of [hex commitment, app, retirement week], for statements over json_each; null when empty.
    /// Nothing of the report's metric or value: a commitment row never holds them.</summary>
    private static string? CommitmentJson(IEnumerable<(byte[] Commitment, string? App, ValidatedReport Report)> rows)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            bool any = false;
            foreach (var (c, app, report) in rows)
            {
                any = true;
                w.WriteStartArray();
                w.WriteStringValue(Convert.ToHexString(c));
                if (app is not null)
                {
                    w.WriteStringValue(app);
                    w.WriteStringValue(CommitmentRetirement.For(report.Period));
                }
                w.WriteEndArray();
            }
            w.WriteEndArray();
            if (!any)
                return null;
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Adds the request's commitments to the group's list; true when it had any.</summary>
    private static bool CollectCommitments(AppendRequest request, HashSet<byte[]> seen, List<(byte[], string, ValidatedReport)> commitments)
    {
        bool any = false;
        foreach (var report in request.Reports)
        {
            if (report.Commitment is not { } c)
                continue;
            commitments.Add((c, request.App, report));
            seen.Add(c);
            any = true;
        }
        return any;
    }

    /// <summary>
    /// Stores the group's commitments as pending entries, stamped with the epoch count (each lands in one of
    /// the next K epochs: <see cref="EpochSealer.IsDue"/>), in one statement and in key order. They move to
    /// the large commitments table when their epoch is sealed: the pending set is small and stays in cache,
    /// so a group commit dirties a few of its pages instead of a page of the commitments table per report.
    /// </summary>
    private void StoreCommitments(List<(byte[] Commitment, string App, ValidatedReport Report)> commitments, SqliteTransaction tx)
    {
        _insertCommitment ??= Command(_writer!, """
            INSERT OR IGNORE INTO log_pending (entry, arrived, app, retire)
            SELECT unhex('00' || (j.value ->> 0)), (SELECT epoch FROM log_state WHERE singleton = 1), j.value ->> 1, j.value ->> 2
            FROM json_each($rows) AS j ORDER BY 1;
            """, "$rows");
        _insertCommitment.Transaction = tx;
        _insertCommitment.Parameters[0].Value = CommitmentJson(commitments.Select(c => (c.Commitment, (string?)c.App, c.Report)));
        _insertCommitment.ExecuteNonQuery();
    }

    public async Task<long?> SealEpochAsync(int minBatches, Func<PendingEpoch, SealedEpoch> seal, CancellationToken cancellationToken = default)
    {
        var writer = _writer ?? throw new InvalidOperationException("Call MigrateAsync before writing.");
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            using var tx = writer.BeginTransaction(deferred: false);
            long batches;
            using (var state = writer.CreateCommand())
            {
                state.Transaction = tx;
                state.CommandText = "SELECT pending_posts FROM log_state WHERE singleton = 1;";
                batches = (long)state.ExecuteScalar()!;
            }
            if (batches < minBatches)
                return null;
            var entries = new List<byte[]>();
            var ages = new List<long>();
            using (var pending = writer.CreateCommand())
            {
                pending.Transaction = tx;
                pending.CommandText = "SELECT entry, (SELECT epoch FROM log_state WHERE singleton = 1) - arrived FROM log_pending ORDER BY entry;";
                using var r = pending.ExecuteReader();
                while (r.Read())
                {
                    entries.Add((byte[])r.GetValue(0));
                    ages.Add(r.GetInt64(1));
                }
            }
            if (entries.Count == 0)
                return null;
            using var reader = new SqliteLogReader(writer, tx);
            var size = reader.TreeSize;
            var epoch = seal(new PendingEpoch(reader, size, entries, ages));
            if (epoch.Leaves.Count == 0)
            {
                // Nothing due: the epoch count moves on (so entries age towards their epoch), nothing is signed.
                using var advance = writer.CreateCommand();
                advance.Transaction = tx;
                advance.CommandText = "UPDATE log_state SET epoch = epoch + 1, pending_posts = 0 WHERE singleton = 1;";
                advance.ExecuteNonQuery();
                tx.Commit();
                return null;
            }
            using (var tile = Command(writer, "INSERT OR REPLACE INTO log_tiles (level, tile_index, hashes) VALUES ($l, $i, $h);", "$l", "$i", "$h"))
            {
                tile.Transaction = tx;
                foreach (var (level, index, hashes) in epoch.Append.Tiles)
                {
                    tile.Parameters[0].Value = level; tile.Parameters[1].Value = index; tile.Parameters[2].Value = hashes;
                    tile.ExecuteNonQuery();
                }
            }
            using (var bundle = Command(writer, "INSERT OR REPLACE INTO log_bundles (bundle_index, entries) VALUES ($i, $e);", "$i", "$e"))
            {
                bundle.Transaction = tx;
                foreach (var (index, bytes) in epoch.Append.Bundles)
                {
                    bundle.Parameters[0].Value = index; bundle.Parameters[1].Value = bytes;
                    bundle.ExecuteNonQuery();
                }
            }
            using (var leaf = Command(writer, "INSERT OR IGNORE INTO log_leaves (entry, leaf_index) VALUES ($e, $i);", "$e", "$i"))
            {
                leaf.Transaction = tx;
                for (int i = 0; i < epoch.Leaves.Count; i++)
                {
                    leaf.Parameters[0].Value = epoch.Leaves[i]; leaf.Parameters[1].Value = size + i;
                    leaf.ExecuteNonQuery();
                }
            }
            using (var finish = writer.CreateCommand())
            {
                finish.Transaction = tx;
                // The epoch's reports move to commitments, logged, in key order (one deleted while pending has no
                // app any more and is only logged); the entries not due stay pending.
                finish.CommandText = """
                    INSERT OR IGNORE INTO commitments (commitment, app, retire, state)
                    SELECT substr(entry, 2), app, retire, 1 FROM log_pending
                    WHERE app IS NOT NULL AND entry IN (SELECT unhex(value) FROM json_each($sealed)) ORDER BY entry;
                    INSERT INTO log_checkpoints (tree_size, note) VALUES ($n, $note);
                    DELETE FROM log_pending WHERE entry IN (SELECT unhex(value) FROM json_each($sealed));
                    UPDATE log_state SET tree_size = $n, pending_posts = 0, epoch = epoch + 1 WHERE singleton = 1;
                    """;
                finish.Parameters.AddWithValue("$n", epoch.Append.NewSize);
                finish.Parameters.AddWithValue("$note", epoch.Checkpoint);
                finish.Parameters.AddWithValue("$sealed", System.Text.Json.JsonSerializer.Serialize(
                    epoch.Leaves.Select(Convert.ToHexString).ToList(), Api.ApiJsonContext.Default.ListString));
                finish.ExecuteNonQuery();
            }
            tx.Commit();
            _writesSinceRewrite++;
            return epoch.Append.NewSize;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<T> ReadLogAsync<T>(Func<ILogReader, T> read, CancellationToken cancellationToken = default)
    {
        await using var c = await OpenAsync(cancellationToken);
        // One read transaction: every tile comes from the same snapshot, whatever a seal commits meanwhile.
        using var tx = c.BeginTransaction(deferred: true);
        using var reader = new SqliteLogReader(c, tx);
        return read(reader);
    }

    public async Task<IReadOnlyList<DeletionStatus>> DeleteByReceiptAsync(string storedApp, IReadOnlyList<DeletionReceipt> receipts, CancellationToken cancellationToken = default)
    {
        var writer = _writer ?? throw new InvalidOperationException("Call MigrateAsync before writing.");
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            using var tx = writer.BeginTransaction(deferred: false);
            // Held as a logged commitment, or as a pending report entry not yet sealed. Only the app's stored name
            // comes back: the receipt's metric, period and value are what the commitment was computed over (the
            // collector recomputed it from them), so nothing of the report needs to be, or is, stored.
            using var find = Command(writer, """
                SELECT app FROM commitments WHERE commitment = $c
                UNION ALL SELECT app FROM log_pending WHERE entry = unhex('00' || hex($c)) AND app IS NOT NULL;
                """, "$c");
            using var inLog = Command(writer, "SELECT EXISTS (SELECT 1 FROM log_leaves WHERE entry = $e) OR EXISTS (SELECT 1 FROM log_pending WHERE entry = $e);", "$e");
            using var raw = Command(writer, """
                UPDATE raw_reports SET reports = reports - 1 WHERE app = $app AND metric = $metric AND period = $period AND value = $value;
                """, "$app", "$metric", "$period", "$value");
            using var rawGone = Command(writer, """
                DELETE FROM raw_reports WHERE app = $app AND metric = $metric AND period = $period AND value = $value AND reports <= 0;
                """, "$app", "$metric", "$period", "$value");
            using var rollup = Command(writer, """
                UPDATE rollups SET reports = reports - 1, total = total - $total WHERE app = $app AND metric = $metric AND period = $period AND value = $value;
                DELETE FROM rollups WHERE app = $app AND metric = $metric AND period = $period AND value = $value AND reports <= 0;
                """, "$app", "$metric", "$period", "$value", "$total");
            // Deleted, not marked: the row goes (secure_delete zeroes it); a pending report entry stays (its leaf is
            // still logged, so the deletion entry has a report to point at) but loses its app and retirement week.
            // The deletion entry lands in one of the next K epochs like any other entry.
            using var forget = Command(writer, """
                DELETE FROM commitments WHERE commitment = $c;
                UPDATE log_pending SET app = NULL, retire = NULL WHERE entry = unhex('00' || hex($c));
                INSERT OR IGNORE INTO log_pending (entry, arrived) VALUES ($e, (SELECT epoch FROM log_state WHERE singleton = 1));
                """, "$c", "$e");
            find.Transaction = inLog.Transaction = raw.Transaction = rawGone.Transaction = rollup.Transaction = forget.Transaction = tx;
            var statuses = new List<DeletionStatus>(receipts.Count);
            bool deleted = false;
            foreach (var receipt in receipts)
            {
                find.Parameters[0].Value = receipt.Commitment;
                var app = find.ExecuteScalar() as string;
                if (app is null)
                {
                    // No row: deleted before (its deletion entry is logged or pending), or retention retired it (its
                    // report entry is in the log and nothing in the counts is left to take off), or nothing matches.
                    inLog.Parameters[0].Value = new LogEntry(LogEntryKind.Deletion, receipt.Commitment).ToBytes();
                    if ((long)inLog.ExecuteScalar()! != 0)
                    {
                        statuses.Add(DeletionStatus.AlreadyDeleted);
                        continue;
                    }
                    inLog.Parameters[0].Value = new LogEntry(LogEntryKind.Report, receipt.Commitment).ToBytes();
                    statuses.Add((long)inLog.ExecuteScalar()! != 0 ? DeletionStatus.Expired : DeletionStatus.NotFound);
                    continue;
                }
                Bind(raw, app, receipt.Metric, receipt.Period, receipt.Value);
                if (raw.ExecuteNonQuery() == 0)
                {
                    // The commitment retires with its ISO week, a day's raw row with its day: in between, nothing is left to take off.
                    statuses.Add(DeletionStatus.Expired);
                    continue;
                }
                Bind(rawGone, app, receipt.Metric, receipt.Period, receipt.Value);
                rawGone.ExecuteNonQuery();
                foreach (var (cell, total) in RollupCells.Of(receipt.Value))
                {
                    Bind(rollup, app, receipt.Metric, receipt.Period, cell);
                    rollup.Parameters[4].Value = total;
                    rollup.ExecuteNonQuery();
                }
                forget.Parameters[0].Value = receipt.Commitment;
                forget.Parameters[1].Value = new LogEntry(LogEntryKind.Deletion, receipt.Commitment).ToBytes();
                forget.ExecuteNonQuery();
                statuses.Add(DeletionStatus.Deleted);
                deleted = true;
            }
            if (deleted)
            {
                using var count = writer.CreateCommand();
                count.Transaction = tx;
                count.CommandText = "UPDATE log_state SET pending_posts = pending_posts + 1 WHERE singleton = 1;";
                count.ExecuteNonQuery();
            }
            tx.Commit();
            if (deleted)
            {
                _writesSinceRewrite++;
                // The deleted rows' cells are zeroed in their pages, but the WAL still holds the older page images.
                await TruncateWalAsync(writer);
            }
            return statuses;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static void Bind(SqliteCommand cmd, string app, string metric, string period, string value)
    {
        cmd.Parameters[0].Value = app; cmd.Parameters[1].Value = metric; cmd.Parameters[2].Value = period; cmd.Parameters[3].Value = value;
    }

    private (byte[] BodyMac, IngestResponse Response)? FindKey(byte[] key)
    {
        _findKey!.Parameters[0].Value = key;
        using var reader = _findKey.ExecuteReader();
        if (!reader.Read())
            return null;
        return ((byte[])reader.GetValue(0), new IngestResponse(reader.GetInt32(1), reader.GetInt64(2)));
    }

    private bool SpendToken(SpentToken token, SqliteTransaction tx)
    {
        // Prepared on first use: tests migrate to older schema versions, which have no spent_tokens table.
        _spendToken ??= Command(_writer!, "INSERT INTO spent_tokens (token_key, nonce) VALUES ($key, $nonce) ON CONFLICT DO NOTHING;", "$key", "$nonce");
        _spendToken.Transaction = tx;
        _spendToken.Parameters[0].Value = token.KeyId;
        _spendToken.Parameters[1].Value = token.Nonce;
        return _spendToken.ExecuteNonQuery() == 1;
    }

    public async Task<int> PurgeSpentTokensAsync(IReadOnlyCollection<byte[]> keepKeyIds, CancellationToken cancellationToken = default)
    {
        await using var c = await OpenAsync(cancellationToken);
        await using var cmd = c.CreateCommand();
        var names = new List<string>();
        foreach (var id in keepKeyIds)
        {
            var name = "$k" + names.Count;
            names.Add(name);
            cmd.Parameters.AddWithValue(name, id);
        }
        cmd.CommandText = names.Count == 0 ? "DELETE FROM spent_tokens;" : $"DELETE FROM spent_tokens WHERE token_key NOT IN ({string.Join(", ", names)});";
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<long> CountSpentTokensAsync(CancellationToken cancellationToken = default)
    {
        await using var c = await OpenAsync(cancellationToken);
        return (long)(await Scalar(c, "SELECT count(*) FROM spent_tokens;"))!;
    }

    public async Task<bool> TryTakeIssuanceBudgetAsync(long period, byte[] partition, int tokens, int budget, CancellationToken cancellationToken = default)
    {
        await using var c = await OpenAsync(cancellationToken);
        await using var cmd = c.CreateCommand();
        // One statement: two issuers taking the last token at once cannot both get it (SQLite serialises writers).
        cmd.CommandText = """
            INSERT INTO issuance_budgets (period, client_tag, used) SELECT $period, $partition, $tokens WHERE $tokens <= $budget
            ON CONFLICT (period, client_tag) DO UPDATE SET used = used + excluded.used WHERE used + excluded.used <= $budget
            RETURNING used;
            """;
        cmd.Parameters.AddWithValue("$period", period);
        cmd.Parameters.AddWithValue("$partition", partition);
        cmd.Parameters.AddWithValue("$tokens", tokens);
        cmd.Parameters.AddWithValue("$budget", budget);
        return await cmd.ExecuteScalarAsync(cancellationToken) is not null;
    }

    public async Task<int> PurgeIssuanceBudgetsAsync(long period, CancellationToken cancellationToken = default)
    {
        await using var c = await OpenAsync(cancellationToken);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM issuance_budgets WHERE period < $period;";
        cmd.Parameters.AddWithValue("$period", period);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private void InsertKey(byte[] key, AppendRequest request)
    {
        var p = _insertKey!.Parameters;
        p[0].Value = key; p[1].Value = request.BodyMac ?? []; p[2].Value = request.Response.Accepted;
        p[3].Value = request.Response.NextReportAfterSeconds; p[4].Value = request.Today.ToString("yyyy-MM-dd");
        _insertKey.ExecuteNonQuery();
    }

    public async Task SaveRegistryAsync(StoredRegistry registry, CancellationToken cancellationToken = default)
    {
        await using var c = await OpenAsync(cancellationToken);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO registries (app, version, yaml, sha256) VALUES ($app, $version, $yaml, $sha) ON CONFLICT (app, version) DO NOTHING;";
        cmd.Parameters.AddWithValue("$app", registry.App);
        cmd.Parameters.AddWithValue("$version", registry.Version);
        cmd.Parameters.AddWithValue("$yaml", registry.Yaml);
        cmd.Parameters.AddWithValue("$sha", registry.Sha256);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StoredRegistry>> LoadRegistriesAsync(CancellationToken cancellationToken = default)
    {
        await using var c = await OpenAsync(cancellationToken);
        await using var cmd = c.CreateCommand();
        return await ReportReads.RegistriesAsync(cmd, cancellationToken);
    }

    public async Task<IReadOnlyList<RollupCell>> ReadRollupsAsync(string app, string? metric = null, CancellationToken cancellationToken = default)
    {
        await using var c = await OpenAsync(cancellationToken);
        await using var cmd = c.CreateCommand();
        return await ReportReads.RollupsAsync(cmd, app, metric, cancellationToken);
    }

    public async Task<IReadOnlyList<RollupCell>> ReadRollupsAsync(string app, string metric, string fromPeriod, string toPeriod, CancellationToken cancellationToken = default)
    {
        await using var c = await OpenAsync(cancellationToken);
        await using var cmd = c.CreateCommand();
        return await ReportReads.RollupsAsync(cmd, app, metric, fromPeriod, toPeriod, cancellationToken);
    }

    public async Task<IReadOnlyList<StoredRelease>> ReadReleasesAsync(string app, string metric, string fromPeriod, string toPeriod, CancellationToken cancellationToken = default)
    {
        await using var c = await OpenAsync(cancellationToken);
        await using var cmd = c.CreateCommand();
        return await ReportReads.ReleasesAsync(cmd, app, metric, fromPeriod, toPeriod, cancellationToken);
    }

    public async Task SaveReleasesAsync(IReadOnlyList<StoredRelease> releases, CancellationToken cancellationToken = default)
    {
        var writer = _writer ?? throw new InvalidOperationException("Call MigrateAsync before writing.");
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            using var tx = writer.BeginTransaction(deferred: false);
            await using var cmd = writer.CreateCommand();
            cmd.Transaction = tx;
            // DO NOTHING, never DO UPDATE: a release, once stored, is what the public saw.
            cmd.CommandText = "INSERT INTO releases (app, metric, period, released_on, document) VALUES ($app, $metric, $period, $on, $doc) ON CONFLICT (app, metric, period) DO NOTHING;";
            var app = cmd.Parameters.Add("$app", SqliteType.Text);
            var metric = cmd.Parameters.Add("$metric", SqliteType.Text);
            var period = cmd.Parameters.Add("$period", SqliteType.Text);
            var on = cmd.Parameters.Add("$on", SqliteType.Text);
            var doc = cmd.Parameters.Add("$doc", SqliteType.Text);
            foreach (var release in releases)
            {
                app.Value = release.App; metric.Value = release.Metric; period.Value = release.Period;
                on.Value = release.ReleasedOn.ToString("yyyy-MM-dd"); doc.Value = release.Document;
                await cmd.ExecuteNonQueryAsync(cancellationToken);
            }
            tx.Commit();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<IReadOnlyList<RawRow>> ReadRawAsync(string app, CancellationToken cancellationToken = default)
    {
        await using var c = await OpenAsync(cancellationToken);
        await using var cmd = c.CreateCommand();
        return await ReportReads.RawAsync(cmd, app, cancellationToken);
    }

    public async Task<int> PurgeIdempotencyKeysAsync(DateOnly firstSeenBefore, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await using var cmd = _writer!.CreateCommand();
            cmd.CommandText = "DELETE FROM idempotency_keys WHERE first_seen < $day;";
            cmd.Parameters.AddWithValue("$day", firstSeenBefore.ToString("yyyy-MM-dd"));
            int forgotten = await cmd.ExecuteNonQueryAsync(cancellationToken);
            if (forgotten > 0)
            {
                _writesSinceRewrite++;
                await TruncateWalAsync(_writer);
            }
            return forgotten;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<PurgeRecord> PurgeRawAsync(string app, DateOnly purgedBefore, DateOnly today, CancellationToken cancellationToken = default)
    {
        var writer = _writer ?? throw new InvalidOperationException("Call MigrateAsync before writing.");
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            using var tx = writer.BeginTransaction(deferred: false);
            // Periods are text here (no derived date column, as in PostgreSQL): find the app's periods, decide in code.
            var expired = new List<string>();
            var retired = new List<string>();
            await using (var periods = writer.CreateCommand())
            {
                periods.Transaction = tx;
                periods.CommandText = """
                    SELECT period, 0 FROM raw_reports WHERE app = $app GROUP BY period
                    UNION SELECT retire, 1 FROM commitments WHERE app = $app UNION SELECT retire, 1 FROM log_pending WHERE app = $app;
                    """;
                periods.Parameters.AddWithValue("$app", app);
                await using var r = await periods.ExecuteReaderAsync(cancellationToken);
                while (await r.ReadAsync(cancellationToken))
                    if (r.GetInt64(1) == 0 ? PeriodKey.TryParse(r.GetString(0), out var p) && p.Value.End <= purgedBefore : CommitmentRetirement.IsDue(r.GetString(0), purgedBefore))
                        (r.GetInt64(1) == 0 ? expired : retired).Add(r.GetString(0));
            }
            long rows = 0, reports = 0, commitmentsGone = 0;
            if (expired.Count > 0)
            {
                await using var delete = writer.CreateCommand();
                delete.Transaction = tx;
                delete.CommandText = "DELETE FROM raw_reports WHERE app = $app AND period IN (SELECT value FROM json_each($periods)) RETURNING reports;";
                delete.Parameters.AddWithValue("$app", app);
                delete.Parameters.AddWithValue("$periods", System.Text.Json.JsonSerializer.Serialize(expired, Api.ApiJsonContext.Default.ListString));
                await using var r = await delete.ExecuteReaderAsync(cancellationToken);
                while (await r.ReadAsync(cancellationToken))
                {
                    rows++;
                    reports += r.GetInt64(0);
                }
            }
            if (retired.Count > 0)
            {
                // The commitments of those reports go with them, by their retirement week (their leaves stay in the
                // log: they are only hashes). A pending entry keeps its place in its epoch, without its app.
                await using var delete = writer.CreateCommand();
                delete.Transaction = tx;
                delete.CommandText = """
                    DELETE FROM commitments WHERE app = $app AND retire IN (SELECT value FROM json_each($retired));
                    UPDATE log_pending SET app = NULL, retire = NULL WHERE app = $app AND retire IN (SELECT value FROM json_each($retired));
                    """;
                delete.Parameters.AddWithValue("$app", app);
                delete.Parameters.AddWithValue("$retired", System.Text.Json.JsonSerializer.Serialize(retired, Api.ApiJsonContext.Default.ListString));
                commitmentsGone = await delete.ExecuteNonQueryAsync(cancellationToken);
            }
            // One entry per scheduled purge, rows or not: an entry written only when rows went told
            // the public, for every day, whether any report existed. The counts stay private (never served).
            await using (var log = writer.CreateCommand())
            {
                log.Transaction = tx;
                log.CommandText = """
                    INSERT INTO purge_log (app, day, purged_before, raw_rows, reports) VALUES ($app, $day, $before, $rows, $reports)
                    ON CONFLICT (app, day, purged_before) DO UPDATE SET raw_rows = raw_rows + excluded.raw_rows, reports = reports + excluded.reports;
                    """;
                log.Parameters.AddWithValue("$app", app);
                log.Parameters.AddWithValue("$day", today.ToString("yyyy-MM-dd"));
                log.Parameters.AddWithValue("$before", purgedBefore.ToString("yyyy-MM-dd"));
                log.Parameters.AddWithValue("$rows", rows);
                log.Parameters.AddWithValue("$reports", reports);
                await log.ExecuteNonQueryAsync(cancellationToken);
            }
            tx.Commit();
            if (rows > 0 || commitmentsGone > 0)
            {
                _writesSinceRewrite++;
                await TruncateWalAsync(writer);
            }
            return new PurgeRecord(app, today, purgedBefore, rows, reports);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<IReadOnlyList<PurgeRecord>> ReadPurgesAsync(string app, CancellationToken cancellationToken = default)
    {
        await using var c = await OpenAsync(cancellationToken);
        await using var cmd = c.CreateCommand();
        return await ReportReads.PurgesAsync(cmd, app, cancellationToken);
    }

    /// <summary>
    /// secure_delete zeroed the deleted cells in the pages written to the WAL, but the WAL still holds
    /// the earlier images of those pages, with the cells in them. Checkpointing copies the clean pages
    /// into the main file, and TRUNCATE empties the WAL. Best effort: a reader in the middle of a long
    /// read makes it give up (busy), and the next purge or rewrite tries again.
    /// </summary>
    private static async Task<bool> TruncateWalAsync(SqliteConnection writer)
    {
        await using var cmd = writer.CreateCommand();
        cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
        await using var r = await cmd.ExecuteReaderAsync();
        return await r.ReadAsync() && r.GetInt64(0) == 0;
    }

    /// <summary>Off only in tests: lets a rewrite start without room, to show the WAL is emptied after it fails.</summary>
    internal bool MeasureSpaceBeforeRewrite { get; set; } = true;

    /// <summary><see cref="TruncateWalAsync"/> where a failure must not hide the error being handled; the next purge, rewrite or checkpoint tries again.</summary>
    private static async Task TruncateWalQuietlyAsync(SqliteConnection writer)
    {
        try
        {
            await TruncateWalAsync(writer);
        }
        catch (SqliteException)
        {
        }
    }

    public async Task<bool> RewriteInKeyOrderAsync(bool force = false, CancellationToken cancellationToken = default)
    {
        var writer = _writer ?? throw new InvalidOperationException("Call MigrateAsync before writing.");
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (!force && _writesSinceRewrite == 0)
                return false;
            // Never started without room: a VACUUM that fills the disk fails, and the disk it filled
            // wedged ingest again after it had healed (RewriteSpace names the estimate).
            if (MeasureSpaceBeforeRewrite && await RewriteSpace.MeasureAsync(writer, Path) is { Fits: false } space)
                throw new RewriteSkippedException(space.Describe());
            // VACUUM copies every table into a fresh database image in primary-key order and writes it
            // back over the file (truncating what is left): cells sit in key order in consecutive pages,
            // with no free page or freed cell left behind. The WAL, which now holds that image, is then
            // emptied. Ingest waits on the write lock meanwhile (its queue absorbs the pause; 503 when full).
            // Empty the WAL first, so the file already holds every committed page. A VACUUM that fails
            // leaves only its own uncommitted frames in the WAL, which the checkpoint below drops without
            // copying anything. Committed frames left in the WAL would have to be copied into the file first,
            // growing it, and on the disk the failed VACUUM just filled that fails too (SQLITE_FULL):
            // the wedge this guards against. A long read can keep the WAL from being emptied: then wait
            // for the next interval rather than risk it.
            if (!await TruncateWalAsync(writer))
                throw new RewriteSkippedException("the WAL could not be emptied first (a long read held it), and a VACUUM failing on top of it could leave the disk full");
            try
            {
                await Exec(writer, "VACUUM;");
                _writesSinceRewrite = 0;
                return true;
            }
            finally
            {
                // Whatever happened: a VACUUM that failed half-way (disk full after all, an I/O error)
                // leaves a WAL as large as what it wrote, and on a nearly full disk that WAL is the space
                // every later commit needs.
                await TruncateWalQuietlyAsync(writer);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var c = new SqliteConnection(_connectionString);
        await c.OpenAsync(cancellationToken);
        return c;
    }

    private static async Task Exec(SqliteConnection c, string sql, SqliteTransaction? tx = null)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<object?> Scalar(SqliteConnection c, string sql)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return await cmd.ExecuteScalarAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            foreach (var cmd in new[] { _upsertRaw, _upsertRollup, _findKey, _insertKey, _spendToken, _knownCommitment, _insertCommitment, _syncNormal, _syncFull })
                cmd?.Dispose();
            if (_writer is not null)
            {
                // Leave one tidy file in key order: a stopped collector's file is what gets copied around.
                try
                {
                    if (_writesSinceRewrite > 0 && (!MeasureSpaceBeforeRewrite || (await RewriteSpace.MeasureAsync(_writer, Path)).Fits))
                        await Exec(_writer, "VACUUM;");
                }
                catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException) { }
                await TruncateWalQuietlyAsync(_writer);
                await _writer.DisposeAsync();
                _writer = null;
                _walFlush?.Dispose(); // after the writer: an in-flight sync holds its own reference to the handle
            }
            // Close this store's pooled readers too, so a stopped collector holds no handle on its file
            // (a copy or a deletion right after shutdown sees the whole file). Only this store's pool: clearing
            // every pool would dispose pools that other stores in the process are opening connections from.
            SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
        }
        finally
        {
            _writeLock.Release();
        }
    }
}

/// <summary>The database's schema is one this Candor cannot serve.</summary>
public sealed class StoreSchemaException(string message) : Exception(message);
