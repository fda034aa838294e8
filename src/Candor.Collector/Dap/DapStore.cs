using System.Data;
using System.Data.Common;
using System.Security.Cryptography;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Postgres;
using Candor.Collector.Storage.Sqlite;
using Candor.Dap;
using Microsoft.Data.Sqlite;

namespace Candor.Collector.Dap;

/// <summary>
/// DAP state on either engine, in the collector's own database (migration 9): one set of dialect-neutral
/// statements, as <see cref="ReportReads"/> does, with the one difference (row locks) written down where it
/// applies. What is kept, and for how long:
/// 1. A report waits at the Leader keyed by its random id, with its time rounded down to the task's
///    precision and no address; it is deleted in the transaction that aggregates or rejects it.
/// 2. Output shares are added into one aggregate share per time-precision bucket and never stored alone.
/// 3. Report ids are kept for replay protection until their batch is collected: each path that takes a
///    report (upload, the Leader's and the Helper's end of a job) refuses one in a collected interval
///    before or regardless of its id, so a replay stays refused once the ids go (docs/dap.md).
///    Rejections are kept as counts per cause.
/// 4. The Helper's answer to an aggregation job (its report ids and prepare messages) is kept so a retried PUT
///    of the same job gets the same answer, for <see cref="AnswersKept"/> after it was given, then forgotten
///    (<see cref="DapAnswerJanitor"/>). A Leader retries a job within minutes; Candor's own never reuses a job id.
/// Writes are serialised in-process (one Leader or Helper process per database), and each one tells the
/// collector's store it wrote (<see cref="_wrote"/>), so the key-order rewrite (privacy invariant 9) runs after
/// DAP traffic too: without it a Leader's file kept a device's reports in upload order (DapReportsAtRestTests).
/// </summary>
internal sealed class DapStore
{
    private readonly Func<CancellationToken, Task<DbConnection>> _open;
    private readonly bool _postgres;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    /// <summary>Marks the store written since its last key-order rewrite (SQLite: a write to count; PostgreSQL: the shared tables).</summary>
    private readonly Action _wrote;

    private DapStore(Func<CancellationToken, Task<DbConnection>> open, bool postgres, Action wrote)
    {
        _open = open;
        _postgres = postgres;
        _wrote = wrote;
    }

    public static DapStore For(IReportStore store) => store switch
    {
        SqliteReportStore s => new DapStore(async ct =>
        {
            var c = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = s.Path, Mode = SqliteOpenMode.ReadWrite, Pooling = true, DefaultTimeout = 30,
            }.ToString());
            await c.OpenAsync(ct);
            // Per connection: without it a deleted report share's bytes stay readable in the file's free pages.
            await Exec(c, null, "PRAGMA secure_delete=ON;");
            return c;
        }, postgres: false, s.Wrote),
        PostgresReportStore p => new DapStore(async ct => await p.DataSource.OpenConnectionAsync(ct), postgres: true, p.SharedWritten),
        _ => throw new NotSupportedException(store.Engine),
    };

    /// <summary>How long the Helper keeps its answer to an aggregation job (rule 4).</summary>
    public static readonly TimeSpan AnswersKept = TimeSpan.FromDays(1);

    public enum UploadOutcome { Stored, Replayed, BatchCollected }

    /// <summary>The Leader keeps an uploaded report until an aggregation job takes it.</summary>
    public async Task<UploadOutcome> StoreReportAsync(byte[] task, byte[] report, ulong bucket, byte[] publicShare, byte[] leaderShare, byte[] helperShare,
        CancellationToken ct = default)
    {
        return await WriteAsync(async (c, tx) =>
        {
            if (await IsCollectedAsync(c, tx, task, bucket))
                return UploadOutcome.BatchCollected;
            if (!await TakeReportIdAsync(c, tx, task, report, bucket))
                return UploadOutcome.Replayed;
            await Exec(c, tx, "INSERT INTO dap_reports (task, report, bucket, public_share, leader_share, helper_share) VALUES (@t, @r, @b, @p, @l, @h);",
                ("t", task), ("r", report), ("b", (long)bucket), ("p", publicShare), ("l", leaderShare), ("h", helperShare));
            return UploadOutcome.Stored;
        }, ct);
    }

    public sealed record PendingReport(byte[] Report, ulong Bucket, byte[] PublicShare, byte[] LeaderShare, byte[] HelperShare);

    /// <summary>Up to <paramref name="limit"/> waiting reports, in report-id order (random, so unrelated to arrival).</summary>
    public async Task<IReadOnlyList<PendingReport>> PendingReportsAsync(byte[] task, int limit, CancellationToken ct = default)
    {
        await using var c = await _open(ct);
        await using var cmd = Command(c, null, "SELECT report, bucket, public_share, leader_share, helper_share FROM dap_reports WHERE task = @t ORDER BY report LIMIT @n;",
            ("t", task), ("n", (long)limit));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var reports = new List<PendingReport>();
        while (await r.ReadAsync(ct))
            reports.Add(new PendingReport((byte[])r[0], (ulong)r.GetInt64(1), (byte[])r[2], (byte[])r[3], (byte[])r[4]));
        return reports;
    }

    /// <summary>One report's outcome in an aggregation job: an output share to add, or the cause it was rejected for.</summary>
    public sealed record Prepared(byte[] Report, ulong Bucket, byte[]? OutputShare, PrepareError? Rejected);

    /// <summary>
    /// The Leader's end of an aggregation job: adds the output shares into their buckets, counts the
    /// rejections and deletes the job's reports, in one transaction.
    /// </summary>
    public Task FinishLeaderJobAsync(byte[] task, DapVdaf vdaf, IReadOnlyList<Prepared> outcomes, CancellationToken ct = default) =>
        WriteAsync<bool>(async (c, tx) =>
        {
            var tally = new DapJobTally(task, vdaf, _postgres);
            await using var delete = Command(c, tx, "DELETE FROM dap_reports WHERE task = @t AND report = @r;", ("t", task), ("r", Array.Empty<byte>()));
            foreach (var o in outcomes)
            {
                await tally.AddAsync(c, tx, o, o.Rejected);
                delete.Parameters[1].Value = o.Report;
                await delete.ExecuteNonQueryAsync(ct);
            }
            await tally.WriteAsync(c, tx);
            return true;
        }, ct);

    /// <summary>A Helper's stored answer to an aggregation job, if the job was seen before.</summary>
    public async Task<(byte[] RequestHash, byte[] Response)?> FindAggregationJobAsync(byte[] task, byte[] job, CancellationToken ct = default)
    {
        await using var c = await _open(ct);
        await using var cmd = Command(c, null, "SELECT request_hash, response FROM dap_aggregation_jobs WHERE task = @t AND job = @j;", ("t", task), ("j", job));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ((byte[])r[0], (byte[])r[1]) : null;
    }

    /// <summary>
    /// The Helper's end of an aggregation job, in one transaction: takes each report id (a replay is
    /// rejected), refuses reports in collected batches, adds the rest, counts rejections, and stores what
    /// <paramref name="respond"/> builds from the final outcomes (the answer without its report ids: DapHelper), marked <paramref name="answeredAt"/> (Unix
    /// seconds, rounded down to the hour here so the row says no more about when than rule 4 needs). Returns what it stored,
    /// or null when a concurrent retry of the job stored first.
    /// </summary>
    public Task<byte[]?> FinishHelperJobAsync(byte[] task, byte[] job, byte[] requestHash, DapVdaf vdaf, IReadOnlyList<Prepared> outcomes,
        Func<IReadOnlyList<PrepareError?>, byte[]> respond, ulong answeredAt, CancellationToken ct = default) =>
        WriteAsync<byte[]?>(async (c, tx) =>
        {
            await using (var find = Command(c, tx, "SELECT 1 FROM dap_aggregation_jobs WHERE task = @t AND job = @j;", ("t", task), ("j", job)))
                if (await find.ExecuteScalarAsync(ct) is not null)
                    return null; // a concurrent retry of the same job got here first
            var final = new PrepareError?[outcomes.Count];
            var tally = new DapJobTally(task, vdaf, _postgres);
            await using var take = TakeReportIdCommand(c, tx, task);
            for (var i = 0; i < outcomes.Count; i++)
            {
                var o = outcomes[i];
                take.Parameters[1].Value = o.Report;
                take.Parameters[2].Value = (long)o.Bucket;
                var replayed = await take.ExecuteNonQueryAsync(ct) != 1;
                final[i] = await tally.AddAsync(c, tx, o, replayed ? PrepareError.ReportReplayed : o.Rejected);
            }
            await tally.WriteAsync(c, tx);
            var response = respond(final);
            await Exec(c, tx, "INSERT INTO dap_aggregation_jobs (task, job, request_hash, response, answered) VALUES (@t, @j, @h, @r, @a);",
                ("t", task), ("j", job), ("h", requestHash), ("r", response), ("a", (long)(answeredAt - answeredAt % 3600)));
            return response;
        }, ct);

    /// <summary>Rule 4: forgets the Helper's answers given before <paramref name="answeredBefore"/> (Unix seconds), every task's. Returns how many.</summary>
    public Task<int> ForgetAnswersAsync(ulong answeredBefore, CancellationToken ct = default) =>
        WriteAsync((c, tx) => Exec(c, tx, "DELETE FROM dap_aggregation_jobs WHERE answered < @b;", ("b", (long)answeredBefore)), ct);

    /// <summary>A batch as this aggregator holds it: its report count, checksum and aggregate share.</summary>
    public sealed record BatchShare(ulong Reports, byte[] Checksum, byte[] Aggregate, ulong? FirstBucket, ulong? LastBucket);

    public async Task<BatchShare> ReadBatchAsync(byte[] task, DapVdaf vdaf, DapInterval interval, CancellationToken ct = default)
    {
        await using var c = await _open(ct);
        await using var cmd = Command(c, null, "SELECT bucket, aggregate, reports, checksum FROM dap_batch_shares WHERE task = @t AND bucket >= @s AND bucket < @e ORDER BY bucket;",
            ("t", task), ("s", (long)interval.Start), ("e", (long)interval.End));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var aggregate = vdaf.EmptyAggregate();
        var checksum = new byte[AggregateShareReq.ChecksumSize];
        ulong reports = 0;
        ulong? first = null, last = null;
        while (await r.ReadAsync(ct))
        {
            var bucket = (ulong)r.GetInt64(0);
            first ??= bucket;
            last = bucket;
            aggregate = vdaf.Add(aggregate, (byte[])r[1]);
            reports += (ulong)r.GetInt64(2);
            Xor(checksum, (byte[])r[3]);
        }
        return new BatchShare(reports, checksum, aggregate, first, last);
    }

    /// <summary>A collected interval overlapping <paramref name="interval"/>: the same one with its stored answer, or another.</summary>
    public async Task<(DapInterval Interval, byte[]? RequestHash, byte[]? Response)?> FindCollectedAsync(byte[] task, DapInterval interval, CancellationToken ct = default)
    {
        await using var c = await _open(ct);
        await using var cmd = Command(c, null,
            "SELECT start, duration, request_hash, response FROM dap_collected_batches WHERE task = @t AND start < @e AND start + duration > @s ORDER BY start LIMIT 1;",
            ("t", task), ("s", (long)interval.Start), ("e", (long)interval.End));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
            return null;
        return (new DapInterval((ulong)r.GetInt64(0), (ulong)r.GetInt64(1)), r.IsDBNull(2) ? null : (byte[])r[2], r.IsDBNull(3) ? null : (byte[])r[3]);
    }

    /// <summary>Marks an interval collected; from now on no report in it is aggregated. False if another collection overlaps it.</summary>
    public Task<bool> MarkCollectedAsync(byte[] task, DapInterval interval, byte[]? requestHash, byte[]? response, CancellationToken ct = default) =>
        WriteAsync(async (c, tx) =>
        {
            await using (var overlap = Command(c, tx, "SELECT 1 FROM dap_collected_batches WHERE task = @t AND start < @e AND start + duration > @s;",
                ("t", task), ("s", (long)interval.Start), ("e", (long)interval.End)))
                if (await overlap.ExecuteScalarAsync(ct) is not null)
                    return false;
            await Exec(c, tx, "INSERT INTO dap_collected_batches (task, start, duration, request_hash, response) VALUES (@t, @s, @d, @h, @r);",
                ("t", task), ("s", (long)interval.Start), ("d", (long)interval.Duration), ("h", (object?)requestHash ?? DBNull.Value), ("r", (object?)response ?? DBNull.Value));
            // Rule 3 above: from this commit on, every report of the interval is refused as batch_collected whatever
            // its id, so the interval's ids no longer protect anything; they go in the same transaction.
            await Exec(c, tx, "DELETE FROM dap_report_ids WHERE task = @t AND bucket >= @s AND bucket < @e;",
                ("t", task), ("s", (long)interval.Start), ("e", (long)interval.End));
            return true;
        }, ct);

    public enum JobCreation { Created, AlreadyThere, Conflict }

    public Task<JobCreation> CreateCollectionJobAsync(byte[] task, byte[] job, DapInterval interval, byte[] requestHash, CancellationToken ct = default) =>
        WriteAsync(async (c, tx) =>
        {
            await using (var find = Command(c, tx, "SELECT request_hash FROM dap_collection_jobs WHERE task = @t AND job = @j;", ("t", task), ("j", job)))
                if (await find.ExecuteScalarAsync(ct) is byte[] existing)
                    return existing.AsSpan().SequenceEqual(requestHash) ? JobCreation.AlreadyThere : JobCreation.Conflict;
            await Exec(c, tx, "INSERT INTO dap_collection_jobs (task, job, start, duration, request_hash) VALUES (@t, @j, @s, @d, @h);",
                ("t", task), ("j", job), ("s", (long)interval.Start), ("d", (long)interval.Duration), ("h", requestHash));
            return JobCreation.Created;
        }, ct);

    public sealed record CollectionJob(DapInterval Interval, byte[]? Result, string? Error);

    public async Task<CollectionJob?> FindCollectionJobAsync(byte[] task, byte[] job, CancellationToken ct = default)
    {
        await using var c = await _open(ct);
        await using var cmd = Command(c, null, "SELECT start, duration, result, error FROM dap_collection_jobs WHERE task = @t AND job = @j;", ("t", task), ("j", job));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
            return null;
        return new CollectionJob(new DapInterval((ulong)r.GetInt64(0), (ulong)r.GetInt64(1)), r.IsDBNull(2) ? null : (byte[])r[2], r.IsDBNull(3) ? null : r.GetString(3));
    }

    public Task FinishCollectionJobAsync(byte[] task, byte[] job, byte[]? result, string? error, CancellationToken ct = default) =>
        WriteAsync<bool>(async (c, tx) =>
        {
            await Exec(c, tx, "UPDATE dap_collection_jobs SET result = @r, error = @e WHERE task = @t AND job = @j;",
                ("t", task), ("j", job), ("r", (object?)result ?? DBNull.Value), ("e", (object?)error ?? DBNull.Value));
            return true;
        }, ct);

    public async Task DeleteCollectionJobAsync(byte[] task, byte[] job, CancellationToken ct = default) =>
        await WriteAsync<bool>(async (c, tx) =>
        {
            await Exec(c, tx, "DELETE FROM dap_collection_jobs WHERE task = @t AND job = @j;", ("t", task), ("j", job));
            return true;
        }, ct);

    /// <summary>Rejected reports per cause (the PrepareError names in snake case, as DAP-09 writes them).</summary>
    public async Task<IReadOnlyDictionary<string, long>> RejectionsAsync(byte[] task, CancellationToken ct = default)
    {
        await using var c = await _open(ct);
        await using var cmd = Command(c, null, "SELECT cause, reports FROM dap_rejections WHERE task = @t;", ("t", task));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await r.ReadAsync(ct))
            counts[r.GetString(0)] = r.GetInt64(1);
        return counts;
    }

    /// <summary>
    /// SQLite: empties the write-ahead log into the database. secure_delete zeroes a deleted report share in its
    /// page, but the page images written before, with the share in them, stay in the WAL file until a
    /// checkpoint truncates it; without this, "deleted once aggregated" held for the table and not for the
    /// files (DapRetentionTests). Gives up after a second when readers hold the log: the next turn retries.
    /// </summary>
    public async Task TruncateLogAsync(CancellationToken ct = default)
    {
        if (_postgres)
            return;
        await _writeLock.WaitAsync(ct);
        try
        {
            await using var c = await _open(ct);
            await Exec(c, null, "PRAGMA busy_timeout = 1000;");
            await Exec(c, null, "PRAGMA wal_checkpoint(TRUNCATE);");
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Report ids held for replay protection (tests and the operator's view).</summary>
    public async Task<long> ReportIdCountAsync(byte[] task, CancellationToken ct = default)
    {
        await using var c = await _open(ct);
        await using var cmd = Command(c, null, "SELECT count(*) FROM dap_report_ids WHERE task = @t;", ("t", task));
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct));
    }

    /// <summary>Reports still waiting at the Leader (tests and the operator's view).</summary>
    public async Task<long> PendingCountAsync(byte[] task, CancellationToken ct = default)
    {
        await using var c = await _open(ct);
        await using var cmd = Command(c, null, "SELECT count(*) FROM dap_reports WHERE task = @t;", ("t", task));
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct));
    }

    public static string CauseName(PrepareError error) => error switch
    {
        PrepareError.BatchCollected => "batch_collected",
        PrepareError.ReportReplayed => "report_replayed",
        PrepareError.ReportDropped => "report_dropped",
        PrepareError.HpkeUnknownConfigId => "hpke_unknown_config_id",
        PrepareError.HpkeDecryptError => "hpke_decrypt_error",
        PrepareError.VdafPrepError => "vdaf_prep_error",
        PrepareError.BatchSaturated => "batch_saturated",
        PrepareError.TaskExpired => "task_expired",
        PrepareError.InvalidMessage => "invalid_message",
        PrepareError.ReportTooEarly => "report_too_early",
        _ => "unknown",
    };

    internal static async Task<bool> IsCollectedAsync(DbConnection c, DbTransaction tx, byte[] task, ulong bucket)
    {
        await using var cmd = Command(c, tx, "SELECT 1 FROM dap_collected_batches WHERE task = @t AND start <= @b AND start + duration > @b;",
            ("t", task), ("b", (long)bucket));
        return await cmd.ExecuteScalarAsync() is not null;
    }

    private static async Task<bool> TakeReportIdAsync(DbConnection c, DbTransaction tx, byte[] task, byte[] report, ulong bucket)
    {
        await using var take = TakeReportIdCommand(c, tx, task);
        take.Parameters[1].Value = report;
        take.Parameters[2].Value = (long)bucket;
        return await take.ExecuteNonQueryAsync() == 1;
    }

    /// <summary>Inserts a report id (parameters 1 and 2: id and bucket) and affects no row when the id was taken before: a replay.</summary>
    private static DbCommand TakeReportIdCommand(DbConnection c, DbTransaction tx, byte[] task) =>
        Command(c, tx, "INSERT INTO dap_report_ids (task, report, bucket) VALUES (@t, @r, @b) ON CONFLICT (task, report) DO NOTHING;",
            ("t", task), ("r", Array.Empty<byte>()), ("b", 0L));

    private static void Xor(byte[] into, byte[] value)
    {
        for (var i = 0; i < into.Length; i++)
            into[i] ^= value[i];
    }

    private async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            await using var c = await _open(ct);
            await using var tx = await c.BeginTransactionAsync(ct);
            var result = await work(c, tx);
            await tx.CommitAsync(ct);
            _wrote(); // after the commit: a rewrite that took the mark in between would miss these rows
            return result;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    internal static DbCommand Command(DbConnection c, DbTransaction? tx, string sql, params (string Name, object Value)[] parameters)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        DbParameters.AddAll(cmd, parameters);
        return cmd;
    }

    internal static async Task<int> Exec(DbConnection c, DbTransaction? tx, string sql, params (string Name, object Value)[] parameters)
    {
        await using var cmd = Command(c, tx, sql, parameters);
        return await cmd.ExecuteNonQueryAsync();
    }
}
