using Candor.Collector.Transparency;
using Candor.Protocol;
using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

/// <summary>
/// Group commit on SQLite: one immediate transaction per group on the writer connection, with prepared
/// statements: per batch the replay check, the commitment check and the token, then the distinct raw and
/// rollup cells of the whole group (<see cref="GroupDelta"/>) in multi-row upserts (<see cref="SqliteCellUpserts"/>). The replay answer and the commitment
/// dedupe are the engines' shared ones (<see cref="IdempotencyReplay"/>, <see cref="CommitmentDedupe"/>).
/// Under load (<see cref="CellJournalPolicy.ShouldJournal"/>) the group appends its cells as one
/// <c>cell_journal</c> row instead, and a later group (or <see cref="FoldJournalAsync"/>) folds the rows.
/// A group commits with <c>synchronous=NORMAL</c> (<see cref="SqliteDatabase.WriteRelaxedAsync"/>) and reaches the
/// disk through <see cref="WalFlush"/> after the writer lock is released, before anyone is answered (the same
/// guarantee as <c>synchronous=FULL</c>, with the fsync overlapping the next group's transaction); every other
/// write keeps FULL.
/// </summary>
internal sealed class SqliteIngest(SqliteDatabase db) : IIngestStore, IDisposable
{
    public string Engine => "sqlite";

    public CellJournalPolicy Journal { get; } = new();

    private SqliteCellUpserts? _cells;
    private SqliteCommand? _findKey, _insertKey, _spendToken, _knownCommitment, _insertCommitment;
    private SqliteCommand? _appendJournal, _takeJournal;
    private WalFlush? _walFlush;

    /// <param name="bodyColumn">The fingerprint column's name at the schema version written (tests write old schemas).</param>
    public void Prepare(SqliteConnection c, string bodyColumn)
    {
        _cells?.Dispose();
        _cells = new SqliteCellUpserts(c);
        _findKey = SqliteDatabase.Command(c, $"SELECT {bodyColumn}, accepted, next_after FROM idempotency_keys WHERE key_hash = $key;", "$key");
        _insertKey = SqliteDatabase.Command(c, $"INSERT INTO idempotency_keys (key_hash, {bodyColumn}, accepted, next_after, first_seen) VALUES ($key, $body, $accepted, $next, $day);",
            "$key", "$body", "$accepted", "$next", "$day");
        _walFlush = new WalFlush(db.Path + "-wal");
    }

    public Task<AppendOutcome[]> AppendGroupAsync(IReadOnlyList<AppendRequest> group, CancellationToken cancellationToken = default) =>
        AppendGroupAsync(group, moreWaiting: false, cancellationToken);

    public async Task<AppendOutcome[]> AppendGroupAsync(IReadOnlyList<AppendRequest> group, bool moreWaiting, CancellationToken cancellationToken = default)
    {
        var outcomes = await db.WriteRelaxedAsync(writer =>
        {
            var written = Append(writer, group, moreWaiting);
            _walFlush!.EnsureOpen();
            return written;
        }, cancellationToken);
        // Nobody is answered before this: the group is on disk once the sync that began after its commit ends.
        await _walFlush!.FlushAsync();
        return outcomes;
    }

    private AppendOutcome[] Append(SqliteConnection writer, IReadOnlyList<AppendRequest> group, bool moreWaiting)
    {
        using var tx = writer.BeginTransaction(deferred: false);
        _findKey!.Transaction = _insertKey!.Transaction = tx;
        var outcomes = new AppendOutcome[group.Count];
        var delta = GroupDelta.For(group);
        var dedupe = new CommitmentDedupe(HeldCommitments(writer, group, tx));
        var commitments = new List<(byte[] Commitment, string App, ValidatedReport Report)>();
        long pendingBatches = 0;
        for (int i = 0; i < group.Count; i++)
        {
            var request = group[i];
            if (request.IdempotencyKey is { } key && FindKey(key) is { } previous)
            {
                outcomes[i] = IdempotencyReplay.Answer(previous.BodyMac, previous.Response, request);
                continue;
            }
            // After the replay check (a retry must get its first answer), before the token is spent and the
            // key remembered: a batch refused for a known commitment leaves nothing behind.
            if (dedupe.Known(request) is { } known)
            {
                outcomes[i] = new(AppendOutcomeKind.CommitmentKnown, request.Response, known);
                continue;
            }
            // After the replay check (a retry of a stored batch carries the same token and must get its
            // first answer), before the key is remembered (a refused batch must leave nothing behind).
            if (request.Token is { } token && !SpendToken(writer, token, tx))
            {
                outcomes[i] = new(AppendOutcomeKind.TokenSpent, request.Response);
                continue;
            }
            if (request.IdempotencyKey is { } newKey)
                InsertKey(newKey, request);
            delta.Add(request.App, request.Reports);
            if (dedupe.Remember(request))
            {
                pendingBatches++;
                foreach (var report in request.Reports)
                    if (report.Commitment is { } c)
                        commitments.Add((c, request.App, report));
            }
            outcomes[i] = new(AppendOutcomeKind.Stored, request.Response);
        }
        if (commitments.Count > 0)
            StoreCommitments(writer, commitments, tx);
        if (pendingBatches > 0)
        {
            using var count = writer.CreateCommand();
            count.Transaction = tx;
            count.CommandText = $"UPDATE log_state SET pending_posts = pending_posts + {pendingBatches} WHERE singleton = 1;";
            count.ExecuteNonQuery();
        }
        bool journal = !delta.IsEmpty && Journal.ShouldJournal(moreWaiting);
        long? fold = null;
        int folded = 0;
        if (journal)
            AppendJournal(writer, tx, delta);
        else
        {
            // Only when due by this process's rows (SQLite has one writer; start-up folded what a crash left).
            if (Journal.ShouldFold)
            {
                // Behind a savepoint: a journal row that cannot be read must not take this group down with it. The
                // group then stores its own cells, the rows stay, and groups stop journaling and folding in-line
                // until a fold succeeds (the quiet fold and every read retry it and report the row by id).
                tx.Save("fold");
                try
                {
                    long mark = Journal.BeginFold();
                    (delta, folded) = TakeJournal(writer, tx, delta);
                    tx.Release("fold");
                    fold = mark;
                }
                catch (CellJournalCorruptException)
                {
                    tx.Rollback("fold");
                    Journal.FoldFailed();
                }
            }
            _cells!.Write(delta);
        }
        tx.Commit();
        db.Wrote();
        if (journal)
            Journal.Append();
        else if (fold is { } mark)
            Journal.Folded(mark, folded);
        return outcomes;
    }

    public Task<int> FoldJournalAsync(CancellationToken cancellationToken = default) =>
        db.WriteRelaxedAsync(writer =>
        {
            // No sync of its own: a fold changes where counts are kept, not what is stored. A crash that loses
            // it (WAL mode keeps the transaction whole or gone) leaves its rows in the journal, folded at start-up;
            // the next synced commit carries it to the disk. Syncing here held the writer for an fsync per fold.
            long mark = Journal.BeginFold();
            int rows;
            using (var tx = writer.BeginTransaction(deferred: false))
            {
                (var sum, rows) = TakeJournal(writer, tx, null);
                if (rows > 0)
                    _cells!.Write(sum);
                tx.Commit();
            }
            if (rows > 0)
                db.Wrote();
            Journal.Folded(mark, rows);
            return rows;
        }, cancellationToken);

    private void AppendJournal(SqliteConnection writer, SqliteTransaction tx, GroupDelta delta)
    {
        _appendJournal ??= SqliteDatabase.Command(writer, "INSERT INTO cell_journal (delta) VALUES ($delta);", "$delta");
        _appendJournal.Transaction = tx;
        _appendJournal.Parameters[0].Value = CellJournal.Serialize(delta);
        _appendJournal.ExecuteNonQuery();
    }

    /// <summary>
    /// Deletes every journal row and returns their cells summed with <paramref name="live"/>'s (the group's own,
    /// or none), and how many rows went. The delete and the upsert of the sum share the caller's transaction:
    /// a crash keeps both or neither. secure_delete zeroes the deleted rows in their pages.
    /// </summary>
    private (GroupDelta Sum, int Rows) TakeJournal(SqliteConnection writer, SqliteTransaction tx, GroupDelta? live)
    {
        // Prepared on first use: tests migrate to older schema versions, which have no cell_journal table.
        _takeJournal ??= SqliteDatabase.Command(writer, "DELETE FROM cell_journal RETURNING id, delta;");
        _takeJournal.Transaction = tx;
        var rows = new List<(long Id, byte[] Delta)>();
        using (var r = _takeJournal.ExecuteReader())
            while (r.Read())
                rows.Add((r.GetInt64(0), (byte[])r.GetValue(1)));
        return (CellJournal.Sum(live, rows), rows.Count);
    }

    /// <summary>
    /// The group's commitments that the store holds already, in its commitments or (after retention purged
    /// the row) in its log, in one statement for the whole group: a statement per report made the writer
    /// thread, not the disk, the limit of ingest with the log on.
    /// </summary>
    private HashSet<byte[]> HeldCommitments(SqliteConnection writer, IReadOnlyList<AppendRequest> group, SqliteTransaction tx)
    {
        var held = new HashSet<byte[]>(ByteOrder.Instance);
        // Most groups carry no commitment (the log off, or clients without it): no JSON writer for nothing.
        if (!CommitmentDedupe.Any(group))
            return held;
        var json = CommitmentJson(CommitmentDedupe.All(group).Select(c => (c, (string?)null, (ValidatedReport?)null)));
        if (json is null)
            return held;
        _knownCommitment ??= SqliteDatabase.Command(writer,
            $"SELECT unhex(j.value ->> 0) FROM json_each($rows) AS j WHERE {CommitmentDedupe.HeldCondition("unhex(j.value ->> 0)", "unhex('00' || (j.value ->> 0))")};",
            "$rows");
        _knownCommitment.Transaction = tx;
        _knownCommitment.Parameters[0].Value = json;
        using var r = _knownCommitment.ExecuteReader();
        while (r.Read())
            held.Add((byte[])r.GetValue(0));
        return held;
    }

    /// <summary>Rows as a JSON array of [hex commitment, app, retirement week], for statements over json_each; null when empty.
    /// Nothing of the report's metric or value: a commitment row never holds them.</summary>
    private static string? CommitmentJson(IEnumerable<(byte[] Commitment, string? App, ValidatedReport? Report)> rows)
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
                    w.WriteStringValue(CommitmentRetirement.For(report!.Value.Period));
                }
                w.WriteEndArray();
            }
            w.WriteEndArray();
            if (!any)
                return null;
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// Stores the group's commitments as pending entries, stamped with the epoch count (each lands in one of
    /// the next K epochs: <see cref="EpochSealer.IsDue"/>), in one statement and in key order. They move to
    /// the large commitments table when their epoch is sealed: the pending set is small and stays in cache,
    /// so a group commit dirties a few of its pages instead of a page of the commitments table per report.
    /// </summary>
    private void StoreCommitments(SqliteConnection writer, List<(byte[] Commitment, string App, ValidatedReport Report)> commitments, SqliteTransaction tx)
    {
        _insertCommitment ??= SqliteDatabase.Command(writer, """
            INSERT OR IGNORE INTO log_pending (entry, arrived, app, retire)
            SELECT unhex('00' || (j.value ->> 0)), (SELECT epoch FROM log_state WHERE singleton = 1), j.value ->> 1, j.value ->> 2
            FROM json_each($rows) AS j ORDER BY 1;
            """, "$rows");
        _insertCommitment.Transaction = tx;
        _insertCommitment.Parameters[0].Value = CommitmentJson(commitments.Select(c => (c.Commitment, (string?)c.App, (ValidatedReport?)c.Report)));
        _insertCommitment.ExecuteNonQuery();
    }

    private (byte[] BodyMac, IngestResponse Response)? FindKey(byte[] key)
    {
        _findKey!.Parameters[0].Value = key;
        using var reader = _findKey.ExecuteReader();
        if (!reader.Read())
            return null;
        return ((byte[])reader.GetValue(0), new IngestResponse(reader.GetInt32(1), reader.GetInt64(2)));
    }

    private bool SpendToken(SqliteConnection writer, SpentToken token, SqliteTransaction tx)
    {
        // Prepared on first use: tests migrate to older schema versions, which have no spent_tokens table.
        _spendToken ??= SqliteDatabase.Command(writer, "INSERT INTO spent_tokens (token_key, nonce) VALUES ($key, $nonce) ON CONFLICT DO NOTHING;", "$key", "$nonce");
        _spendToken.Transaction = tx;
        _spendToken.Parameters[0].Value = token.KeyId;
        _spendToken.Parameters[1].Value = token.Nonce;
        return _spendToken.ExecuteNonQuery() == 1;
    }

    private void InsertKey(byte[] key, AppendRequest request)
    {
        var p = _insertKey!.Parameters;
        p[0].Value = key; p[1].Value = request.BodyMac ?? []; p[2].Value = request.Response.Accepted;
        p[3].Value = request.Response.NextReportAfterSeconds; p[4].Value = request.Today.ToString("yyyy-MM-dd");
        _insertKey.ExecuteNonQuery();
    }

    public async Task<IReadOnlyList<RawRow>> ReadRawAsync(string app, CancellationToken cancellationToken = default)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var cmd = c.CreateCommand();
        return await ReportReads.RawAsync(cmd, app, cancellationToken);
    }

    public void Dispose()
    {
        foreach (var cmd in new[] { _findKey, _insertKey, _spendToken, _knownCommitment, _insertCommitment, _appendJournal, _takeJournal })
            cmd?.Dispose();
        _cells?.Dispose();
    }

    /// <summary>Closes the WAL handle; after the writer (an in-flight sync holds its own reference to the handle).</summary>
    public void CloseWal() => _walFlush?.Dispose();
}
