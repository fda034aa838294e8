using System.Collections.Concurrent;
using System.Globalization;
using Candor.Protocol;
using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// What every PostgreSQL feature class shares: the pooled data source, the monthly raw_reports partitions,
/// what was written since the last key-order rewrite, the table rewrite itself, and the retry of a
/// transaction PostgreSQL picked as a deadlock victim.
/// </summary>
internal sealed class PostgresDatabase(string connectionString)
{
    /// <summary>Serialises schema changes and partition creation across every collector on the database.</summary>
    public const long SchemaLock = 0x43616E646F72; // "Candor"

    /// <summary>A transaction is retried this many times when PostgreSQL picks it as a deadlock victim.</summary>
    private const int MaxAttempts = 5;

    /// <summary>raw_reports' primary key: the order its partitions are rewritten in.</summary>
    public const string RawKey = "app, metric, period, value, period_start";

    private readonly ConcurrentDictionary<DateOnly, bool> _partitions = new();
    private readonly ConcurrentDictionary<DateOnly, bool> _dirtyMonths = new();
    private int _dirtyShared;

    public string ConnectionString { get; } = connectionString;

    public NpgsqlDataSource DataSource { get; } = NpgsqlDataSource.Create(connectionString);

    /// <summary>The fingerprint column's name at the schema version written (tests write old schemas).</summary>
    public string BodyColumn { get; set; } = "body_mac";

    /// <summary>Every table but raw_reports' partitions was written (and may hold rows in write order).</summary>
    public void SharedWritten() => Interlocked.Exchange(ref _dirtyShared, 1);

    /// <summary>The partition holding <paramref name="period"/> was written.</summary>
    public void RawWritten(string period)
    {
        var start = PeriodStart(period);
        _dirtyMonths.TryAdd(new DateOnly(start.Year, start.Month, 1), true);
    }

    /// <summary>Takes what was written since the last call, for a rewrite; <see cref="MarkDirty"/> gives it back when the rewrite does not happen.</summary>
    public (List<DateOnly> Months, bool Shared) TakeDirty()
    {
        var months = _dirtyMonths.Keys.ToList();
        bool shared = Interlocked.Exchange(ref _dirtyShared, 0) == 1;
        foreach (var m in months)
            _dirtyMonths.TryRemove(m, out _);
        return (months, shared);
    }

    public void MarkDirty(List<DateOnly> months, bool shared)
    {
        foreach (var m in months)
            _dirtyMonths.TryAdd(m, true);
        if (shared)
            SharedWritten();
    }

    /// <summary>
    /// Runs <paramref name="once"/> again when PostgreSQL rolls it back as a deadlock victim or a serialization
    /// failure: two collectors whose transactions touch the same keys or cells can still deadlock on index pages
    /// or key waits, PostgreSQL rolls one back whole, and running it again is always correct.
    /// </summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> once, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await once();
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < MaxAttempts)
            {
                await Task.Delay(Random.Shared.Next(5, 50) * attempt, cancellationToken);
            }
        }
    }

    private static readonly ConcurrentDictionary<string, DateOnly> PeriodStarts = new(StringComparer.Ordinal);

    /// <summary>
    /// The first day of a period; the store only ever receives validated periods. Remembered, because
    /// every report of a group passes here and only a few periods are ever in use.
    /// </summary>
    public static DateOnly PeriodStart(string period)
    {
        if (PeriodStarts.TryGetValue(period, out var start))
            return start;
        start = PeriodKey.TryParse(period, out var p) ? p.Value.Start : throw new FormatException($"'{period}' is not a period.");
        if (PeriodStarts.Count < 100_000) // bounded: the accepted window holds a few hundred periods
            PeriodStarts.TryAdd(period, start);
        return start;
    }

    /// <summary>
    /// Creates the monthly raw_reports partitions that no collector has created yet. Under the schema lock,
    /// because two collectors creating the same partition at once would otherwise fail.
    /// </summary>
    public async Task EnsurePartitionsAsync(IEnumerable<DateOnly> periodStarts, CancellationToken cancellationToken)
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
        await using var c = await DataSource.OpenConnectionAsync(cancellationToken);
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

    /// <summary>raw_reports' partitions and the first day of the month each holds.</summary>
    public static async Task<List<(string Name, DateOnly Month)>> PartitionsAsync(NpgsqlConnection c, CancellationToken cancellationToken)
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

    /// <summary>Rewrites the raw_reports partitions whose month <paramref name="rewrite"/> picks.</summary>
    public static async Task RewritePartitionsAsync(NpgsqlConnection c, Func<DateOnly, bool> rewrite, CancellationToken cancellationToken)
    {
        foreach (var (partition, month) in await PartitionsAsync(c, cancellationToken))
            if (rewrite(month))
                await RewriteTableAsync(c, partition, RawKey, cancellationToken);
    }

    /// <summary>
    /// Rewrites one table in key order, in one transaction: every row is copied aside, the table is
    /// truncated (PostgreSQL gives it a new, empty file and drops the old one, dead rows and all, at
    /// commit; the first segment is cut to zero bytes at once) and the rows go back sorted by key. After
    /// it, heap order, <c>ctid</c>, COPY / pg_dump order and an unordered SELECT all follow the key, and
    /// every row carries the rewrite's transaction id, so <c>xmin</c> no longer groups a batch's cells.
    /// Writers to this table wait for the commit (one table at a time, so no lock cycle with ingest).
    /// DELETE only marks rows dead, their bytes staying in the heap until vacuum reuses the space, if ever:
    /// every purge and deletion runs this on what it deleted from.
    /// </summary>
    public static async Task RewriteTableAsync(NpgsqlConnection c, string table, string key, CancellationToken cancellationToken)
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

    public static async Task Exec(NpgsqlConnection c, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
