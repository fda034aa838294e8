using Candor.Collector.Transparency;
using Candor.Protocol;
using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// Group commit on PostgreSQL: each group is one transaction of a few statements whatever its size (array
/// parameters unnested server-side): the idempotency keys (<see cref="PostgresIdempotencyKeys.ClaimKeysAsync"/>),
/// the held commitments, the tokens, then the raw counts and the rollups. Concurrency between collectors is
/// left to PostgreSQL: upserts add to counts atomically, and everything written is sorted first
/// (<see cref="ByteOrder"/>, <see cref="CellOrder"/>) so concurrent groups lock rows in one order. The replay
/// answer and the commitment dedupe are the engines' shared ones. Under load
/// (<see cref="CellJournalPolicy.ShouldJournal"/>) the group appends its cells as one <c>cell_journal</c> row
/// instead (<see cref="PostgresJournal"/>).
/// </summary>
internal sealed class PostgresIngest(PostgresDatabase db) : IIngestStore
{
    private readonly PostgresJournal _journal = new(db);

    public string Engine => "postgres";

    public CellJournalPolicy Journal => _journal.Policy;

    public Task<AppendOutcome[]> AppendGroupAsync(IReadOnlyList<AppendRequest> group, CancellationToken cancellationToken = default) =>
        AppendGroupAsync(group, moreWaiting: false, cancellationToken);

    public async Task<AppendOutcome[]> AppendGroupAsync(IReadOnlyList<AppendRequest> group, bool moreWaiting, CancellationToken cancellationToken = default)
    {
        await db.EnsurePartitionsAsync(group.SelectMany(r => r.Reports).Select(r => PostgresDatabase.PeriodStart(r.Period)), cancellationToken);
        return await PostgresDatabase.RetryAsync(() => AppendOnceAsync(group, moreWaiting, cancellationToken), cancellationToken);
    }

    public Task<int> FoldJournalAsync(CancellationToken cancellationToken = default) => _journal.FoldAsync(cancellationToken);

    public async Task<IReadOnlyList<RawRow>> ReadRawAsync(string app, CancellationToken cancellationToken = default)
    {
        await using var cmd = db.DataSource.CreateCommand();
        return await ReportReads.RawAsync(cmd, app, cancellationToken);
    }

    private async Task<AppendOutcome[]> AppendOnceAsync(IReadOnlyList<AppendRequest> group, bool moreWaiting, CancellationToken cancellationToken)
    {
        await using var c = await db.DataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        var outcomes = new AppendOutcome[group.Count];
        var previous = await PostgresIdempotencyKeys.ClaimKeysAsync(c, group, db.BodyColumn, cancellationToken);

        var delta = GroupDelta.For(group);
        var firstClaim = new HashSet<byte[]>(ByteOrder.Instance);
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
                    outcomes[i] = IdempotencyReplay.Answer(bodyMac, response, request);
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

        bool journal = !delta.IsEmpty && _journal.Policy.ShouldJournal(moreWaiting);
        long? fold = null;
        int folded = 0;
        await using var batch = new NpgsqlBatch(c);
        if (journal)
            PostgresJournal.AddAppend(batch, delta);
        else
        {
            // Only when due by this process's rows: other collectors' rows (or a crashed run's) are folded by
            // their own collector, the next fold anywhere, or at the latest the next rewrite.
            if (_journal.Policy.ShouldFold)
            {
                // Behind a savepoint, as on SQLite: an unreadable journal row leaves this group stored with its own cells.
                await tx.SaveAsync("fold", cancellationToken);
                try
                {
                    long mark = _journal.Policy.BeginFold();
                    (delta, folded) = await PostgresJournal.TakeAsync(c, delta, cancellationToken);
                    await tx.ReleaseAsync("fold", cancellationToken);
                    fold = mark;
                }
                catch (CellJournalCorruptException)
                {
                    await tx.RollbackAsync("fold", cancellationToken);
                    _journal.Policy.FoldFailed();
                }
            }
            AddCellUpserts(batch, delta);
        }
        if (batch.BatchCommands.Count > 0)
            await batch.ExecuteNonQueryAsync(cancellationToken);
        if (commitments.Count > 0)
            await StoreCommitmentsAsync(c, commitments, pendingBatches, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        db.SharedWritten();
        if (journal)
            _journal.Policy.Append();
        else
        {
            foreach (var cell in delta.Raw.Keys)
                db.RawWritten(cell.Period);
            if (fold is { } mark)
                _journal.Policy.Folded(mark, folded);
        }
        return outcomes;
    }

    /// <summary>The raw and rollup upserts of <paramref name="delta"/>, one statement per table.</summary>
    internal static void AddCellUpserts(NpgsqlBatch batch, GroupDelta delta)
    {
        AddRawUpsert(batch, delta);
        AddRollupUpsert(batch, delta);
    }

    /// <summary>
    /// Per batch (index) whose reports carry a commitment held already (or earlier in the group), those reports' indices.
    /// Held as <see cref="CommitmentDedupe.HeldCondition"/> says, the same on both engines.
    /// </summary>
    private static async Task<Dictionary<int, IReadOnlyList<int>>> KnownCommitmentsAsync(NpgsqlConnection c, IReadOnlyList<AppendRequest> group,
        List<int> candidates, CancellationToken cancellationToken)
    {
        var result = new Dictionary<int, IReadOnlyList<int>>();
        if (!CommitmentDedupe.Any(group))
            return result;
        var all = CommitmentDedupe.All(candidates.Select(i => group[i])).ToArray();
        if (all.Length == 0)
            return result;
        var held = new HashSet<byte[]>(ByteOrder.Instance);
        await using (var cmd = new NpgsqlCommand(
            $"SELECT x FROM unnest(@c::bytea[]) AS x WHERE {CommitmentDedupe.HeldCondition("x", @"'\x00'::bytea || x")};", c))
        {
            cmd.Parameters.AddWithValue("c", all);
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await r.ReadAsync(cancellationToken))
                held.Add((byte[])r.GetValue(0));
        }
        var dedupe = new CommitmentDedupe(held);
        foreach (int i in candidates)
        {
            if (dedupe.Known(group[i]) is { } known)
                result[i] = known;
            else
                dedupe.Remember(group[i]);
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
        rows.Sort((a, b) => ByteOrder.Instance.Compare(a.Commitment, b.Commitment)); // one lock order for every collector
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

    /// <summary>
    /// Inserts the group's tokens (sorted, so concurrent groups lock in one order) and returns those that
    /// were new, each as key id and nonce concatenated.
    /// </summary>
    private static async Task<HashSet<byte[]>> SpendTokensAsync(NpgsqlConnection c, IReadOnlyList<AppendRequest> group, List<int> candidates,
        CancellationToken cancellationToken)
    {
        var fresh = new HashSet<byte[]>(ByteOrder.Instance);
        var tokens = candidates.Select(i => group[i].Token).OfType<SpentToken>()
            .Select(t => t.KeyId.Concat(t.Nonce).ToArray()).Distinct(ByteOrder.Instance).Order(ByteOrder.Instance).ToArray();
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
        cmd.Parameters.AddWithValue("start", cells.Keys.Select(k => PostgresDatabase.PeriodStart(k.Period)).ToArray());
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
}
