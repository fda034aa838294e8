using System.Globalization;
using Candor.Registry;
using Microsoft.Data.Sqlite;

namespace Candor.Client.LocalStore;

/// <summary>
/// The device's SQLite file (<c>candor-client.db</c> in the data directory): observations per period,
/// the outbox, the history of sent batches, a local log and scheduling state. Every write is one
/// transaction, so a crash leaves the file as it was before or after, never between.
/// </summary>
internal sealed class ClientStore
{
    public const string FileName = "candor-client.db";

    private readonly string _connectionString;
    private readonly int _maxHistory;
    private readonly Lock _recovery = new();
    private readonly TimeProvider _time;

    public DateTimeOffset Now() => _time.GetUtcNow();

    public ClientStore(string dataDirectory, int maxHistory, TimeProvider time)
    {
        _time = time;
        Path = System.IO.Path.Combine(dataDirectory, FileName);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Pooling = true }.ToString();
        _maxHistory = maxHistory;
        try
        {
            Directory.CreateDirectory(dataDirectory);
            try
            {
                Initialize();
            }
            catch (SqliteException e) when (e.SqliteErrorCode is SqliteCorrupt or SqliteNotADatabase)
            {
                SetAside(e.Message);
                Initialize();
            }
            _initialized = true;
        }
        catch (Exception e) when (StorageFault.IsStorageError(e))
        {
            // A full disk at start-up must not stop the app: the store opens on first use once it can.
            OpenError = e;
        }
    }

    private volatile bool _initialized;

    /// <summary>Set when the store could not be opened at start-up (a full disk); every use tries again.</summary>
    public Exception? OpenError { get; private set; }

    private void EnsureInitialized()
    {
        if (_initialized)
            return;
        lock (_recovery)
        {
            if (_initialized)
                return;
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            Initialize();
            _initialized = true;
        }
    }

    private const int SqliteCorrupt = 11, SqliteNotADatabase = 26;

    /// <summary>Set when the file found at start-up was unreadable and was moved aside; the client logs it.</summary>
    public string? SetAsideNote { get; private set; }

    /// <summary>Told (once per incident) when a store damaged while the app runs was set aside; the client logs it.</summary>
    public Action<string>? SetAsideWhileRunning { get; set; }

    /// <summary>
    /// Runs one unit of store work. A file damaged while the app runs (a disk error, another program
    /// writing into it) would otherwise make every later call throw until the app restarts: it is set
    /// aside and replaced by an empty store, and the work is tried once more on that.
    /// </summary>
    public T Use<T>(Func<SqliteConnection, T> work)
    {
        EnsureInitialized();
        try
        {
            using var c = Open();
            return work(c);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is SqliteCorrupt or SqliteNotADatabase)
        {
            lock (_recovery)
            {
                SetAside(e.Message);
                Initialize();
            }
            SetAsideWhileRunning?.Invoke(SetAsideNote!);
            using var c = Open();
            return work(c);
        }
    }

    public void Use(Action<SqliteConnection> work) => Use(c => { work(c); return 0; });

    private void Initialize()
    {
        using var c = Open();
        // A damaged file must not crash the host application: detect it here, once, where it is cheap.
        using (var check = c.CreateCommand())
        {
            check.CommandText = "PRAGMA quick_check;";
            if (check.ExecuteScalar() as string is { } result && result != "ok")
                throw new SqliteException("quick_check: " + result, SqliteCorrupt);
        }
        Execute(c, null, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS observations (metric TEXT NOT NULL, period TEXT NOT NULL, item TEXT NOT NULL,
                amount INTEGER NOT NULL, PRIMARY KEY (metric, period, item));
            CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, idempotency_key TEXT NOT NULL,
                body BLOB NOT NULL, oldest_period_end TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS sent (id INTEGER PRIMARY KEY AUTOINCREMENT, sent_at TEXT NOT NULL, body BLOB NOT NULL, accepted INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS log (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, message TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS receipts (commitment TEXT PRIMARY KEY, nonce TEXT NOT NULL, app TEXT NOT NULL,
                metric TEXT NOT NULL, period TEXT NOT NULL, value TEXT NOT NULL, outbox_id INTEGER, sent_at TEXT,
                check_at TEXT, leaf_index INTEGER, tree_size INTEGER, deleted_at TEXT);
            """);
        AddColumnIfMissing(c, "outbox", "send_after", "TEXT");
        AddColumnIfMissing(c, "outbox", "split_from", "TEXT");
        AddColumnIfMissing(c, "receipts", "delete_at", "TEXT");
        ClientStoreMigrations.Apply(c);
    }

    /// <summary>Upgrades a store written by an older client in place; the new columns start empty (NULL).</summary>
    private static void AddColumnIfMissing(SqliteConnection c, string table, string column, string type)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT count(*) FROM pragma_table_info('{table}') WHERE name = '{column}';";
        if ((long)cmd.ExecuteScalar()! == 0)
            Execute(c, null, $"ALTER TABLE {table} ADD COLUMN {column} {type};");
    }

    /// <summary>
    /// Moves an unreadable store (and its WAL files) aside as <c>candor-client.db.corrupt</c>, replacing
    /// any earlier one, so the app starts with an empty store and at most one damaged copy stays on disk.
    /// </summary>
    private void SetAside(string reason)
    {
        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
        string aside = Path + ".corrupt";
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(aside + suffix);
            if (File.Exists(Path + suffix))
                File.Move(Path + suffix, aside + suffix);
        }
        SetAsideNote = $"The local store could not be read ({reason}); it was set aside as {System.IO.Path.GetFileName(aside)} and a new, empty one started.";
    }

    public string Path { get; }

    public SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        // WAL with NORMAL sync survives a crash of the app (the failure the outbox guards against) without
        // an fsync per write; only a power cut can lose the last transactions, never corrupt the file.
        Execute(c, null, "PRAGMA synchronous = NORMAL;");
        return c;
    }

    public static int Execute(SqliteConnection c, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd.ExecuteNonQuery();
    }

    /// <summary>Merges deltas: counts add up, a flag stays set, a quantity keeps its latest value.</summary>
    public void Add(IReadOnlyList<Observation> deltas, MetricRegistry registry)
    {
        if (deltas.Count == 0)
            return;
        Use(c =>
        {
            using var tx = c.BeginTransaction();
            foreach (var o in deltas)
            {
                int mode = registry.FindMetric(o.Metric)?.Type switch { MetricType.Flag => 1, MetricType.Quantity => 2, _ => 0 };
                Execute(c, tx, """
                    INSERT INTO observations (metric, period, item, amount) VALUES ($m, $p, $i, $a)
                    ON CONFLICT (metric, period, item) DO UPDATE SET amount =
                      CASE $mode WHEN 0 THEN amount + excluded.amount WHEN 1 THEN max(amount, excluded.amount) ELSE excluded.amount END;
                    """, ("$m", o.Metric), ("$p", o.Period), ("$i", o.Item), ("$a", o.Amount), ("$mode", mode));
            }
            tx.Commit();
        });
    }

    public List<Observation> Observations() => Use(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT metric, period, item, amount FROM observations ORDER BY period, metric, item;";
        using var r = cmd.ExecuteReader();
        var list = new List<Observation>();
        while (r.Read())
        {
            // A row another program wrote with the wrong types is skipped, not a reason to fail every view.
            if (r.IsDBNull(0) || r.IsDBNull(1) || r.IsDBNull(2) || r.GetFieldType(3) != typeof(long))
                continue;
            list.Add(new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3)));
        }
        return list;
    });

    public void DeleteObservations(Func<Observation, bool> which)
    {
        var doomed = Observations().Where(which).ToList();
        Use(c =>
        {
            using var tx = c.BeginTransaction();
            foreach (var o in doomed)
                Execute(c, tx, "DELETE FROM observations WHERE metric = $m AND period = $p AND item = $i;", ("$m", o.Metric), ("$p", o.Period), ("$i", o.Item));
            tx.Commit();
        });
    }

    /// <summary>
    /// Everything not yet sent: observations, the outbox and the receipts of its reports (revoking consent,
    /// privacy invariant 2). Receipts of reports already sent stay: they are how the user can still check
    /// and delete what left the device (docs/client.md, "Verifying and deleting your reports").
    /// </summary>
    public void EraseUnsent() => Use(c => Execute(c, null, "DELETE FROM observations; DELETE FROM outbox; DELETE FROM receipts WHERE sent_at IS NULL;"));

    /// <summary>Everything collected, pending or sent; the local log keeps one line saying so.</summary>
    public void EraseAll(DateTimeOffset now)
    {
        Use(c => Execute(c, null, "DELETE FROM observations; DELETE FROM outbox; DELETE FROM sent; DELETE FROM log; DELETE FROM state; DELETE FROM receipts;"));
        Log(now, "All local data was erased at the user's request.");
    }

    public void Log(DateTimeOffset at, string message) =>
        Use(c => Execute(c, null, "INSERT INTO log (at, message) VALUES ($a, $m); DELETE FROM log WHERE id <= (SELECT max(id) FROM log) - $max;",
            ("$a", at.ToString("O", CultureInfo.InvariantCulture)), ("$m", message), ("$max", _maxHistory)));

    public List<LogEntry> LogEntries() => Use(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT at, message FROM log ORDER BY id;";
        using var r = cmd.ExecuteReader();
        var list = new List<LogEntry>();
        while (r.Read())
            if (!r.IsDBNull(1) && DateTimeOffset.TryParse(r.IsDBNull(0) ? null : r.GetValue(0) as string, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
                list.Add(new(at, r.GetString(1)));
        return list;
    });

    public void RecordSent(DateTimeOffset at, byte[] body, int accepted) =>
        Use(c => Execute(c, null, "INSERT INTO sent (sent_at, body, accepted) VALUES ($a, $b, $n); DELETE FROM sent WHERE id <= (SELECT max(id) FROM sent) - $max;",
            ("$a", at.ToString("O", CultureInfo.InvariantCulture)), ("$b", body), ("$n", accepted), ("$max", _maxHistory)));

    public List<SentBatch> Sent() => Use(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT sent_at, body, accepted FROM sent ORDER BY id;";
        using var r = cmd.ExecuteReader();
        var list = new List<SentBatch>();
        while (r.Read())
            if (r.GetValue(0) is string text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) && r.GetValue(1) is byte[] body)
                list.Add(new(at, System.Text.Encoding.UTF8.GetString(body), r.GetFieldType(2) == typeof(long) ? r.GetInt32(2) : 0));
        return list;
    });

    public string? GetState(string key) => Use(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT value FROM state WHERE key = $k;";
        cmd.Parameters.AddWithValue("$k", key);
        return cmd.ExecuteScalar() as string;
    });

    public void SetState(string key, string? value) => Use(c =>
    {
        if (value is null)
            Execute(c, null, "DELETE FROM state WHERE key = $k;", ("$k", key));
        else
            Execute(c, null, "INSERT INTO state (key, value) VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value;", ("$k", key), ("$v", value));
    });

    /// <summary>A time kept in the state table; a value that does not parse counts as none (and is logged by the caller's fallback), never as an exception on every call.</summary>
    public DateTimeOffset? GetTime(string key) =>
        GetState(key) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : null;

    public void SetTime(string key, DateTimeOffset? at) => SetState(key, at?.ToString("O", CultureInfo.InvariantCulture));

    public IReadOnlyList<(string Key, string Value)> StatesWithPrefix(string prefix) => Use(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT key, value FROM state WHERE substr(key, 1, length($p)) = $p ORDER BY key;";
        cmd.Parameters.AddWithValue("$p", prefix);
        using var r = cmd.ExecuteReader();
        var list = new List<(string, string)>();
        while (r.Read())
            list.Add((r.GetString(0), r.GetString(1)));
        return (IReadOnlyList<(string, string)>)list;
    });
}
