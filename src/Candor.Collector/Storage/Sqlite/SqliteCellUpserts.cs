using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Cell = (string App, string Metric, string Period, string Value);

namespace Candor.Collector.Storage.Sqlite;

/// <summary>
/// Writes a group's raw and rollup cells (<see cref="GroupDelta"/>) with multi-row upserts, on statements
/// prepared once per writer connection and driven through SQLitePCL directly (bind, step, reset). A group
/// of 20 batches holds some 600 cells; one <see cref="SqliteCommand.ExecuteNonQuery()"/> per cell spent more
/// of the collector's CPU in Microsoft.Data.Sqlite's per-execution bookkeeping (statement lookup, parameter
/// binding through the collection, SafeHandle reference counts) than SQLite spent on the b-tree itself.
/// Rows go in chunks whose sizes are powers of two up to <see cref="ChunkRows"/>, so a connection prepares
/// at most seven statements per table whatever the group's size, and a group needs at most six statements
/// beyond its full chunks. A cell appearing twice in one statement (GroupDelta compares names by reference)
/// is fine on SQLite: the second row finds the first and adds to it.
/// Runs on the writer connection inside the group's transaction; every statement is reset before returning,
/// even on error, so none is left active to block the rollback, a checkpoint or the key-order rewrite.
/// </summary>
internal sealed class SqliteCellUpserts(SqliteConnection writer) : IDisposable
{
    /// <summary>Most rows in one statement (5 or 6 parameters each: far below SQLite's 32,766 variables).</summary>
    internal const int ChunkRows = 64;
    private const int Levels = 7; // 1, 2, 4, ..., 64 rows

    private readonly sqlite3 _db = writer.Handle!;
    private readonly sqlite3_stmt?[] _raw = new sqlite3_stmt?[Levels], _rollup = new sqlite3_stmt?[Levels];
    private (Cell Cell, long Reports, long Total)[] _rows = new (Cell, long, long)[ChunkRows * 4];
    private byte[] _utf8 = new byte[256];

    public void Write(GroupDelta delta)
    {
        int n = Collect(delta.Raw.Count);
        foreach (var (cell, reports) in delta.Raw)
            _rows[n++] = (cell, reports, 0);
        Array.Sort(_rows, 0, n, RowOrder.Instance);
        Upsert(_raw, n, withTotal: false);
        n = Collect(delta.Rollups.Count);
        foreach (var (cell, counts) in delta.Rollups)
            _rows[n++] = (cell, counts.Reports, counts.Total);
        Array.Sort(_rows, 0, n, RowOrder.Instance);
        Upsert(_rollup, n, withTotal: true);
    }

    /// <summary>Key order: consecutive upserts walk the b-tree forwards, mostly within pages the previous one touched.</summary>
    private sealed class RowOrder : IComparer<(Cell Cell, long Reports, long Total)>
    {
        public static readonly RowOrder Instance = new();
        public int Compare((Cell Cell, long Reports, long Total) x, (Cell Cell, long Reports, long Total) y) => CellOrder.Instance.Compare(x.Cell, y.Cell);
    }

    private int Collect(int count)
    {
        if (_rows.Length < count)
            _rows = new (Cell, long, long)[Math.Max(count, _rows.Length * 2)];
        return 0;
    }

    private void Upsert(sqlite3_stmt?[] statements, int count, bool withTotal)
    {
        int columns = withTotal ? 6 : 5;
        for (int offset = 0; offset < count;)
        {
            int level = Math.Min(Levels - 1, 31 - int.LeadingZeroCount(count - offset)); // the largest power of two that fits
            int rows = 1 << level;
            var stmt = statements[level] ??= Prepare(Sql(withTotal, rows));
            try
            {
                for (int r = 0; r < rows; r++)
                {
                    var (cell, reports, total) = _rows[offset + r];
                    int p = r * columns + 1;
                    BindText(stmt, p, cell.App);
                    BindText(stmt, p + 1, cell.Metric);
                    BindText(stmt, p + 2, cell.Period);
                    BindText(stmt, p + 3, cell.Value);
                    Check(raw.sqlite3_bind_int64(stmt, p + 4, reports));
                    if (withTotal)
                        Check(raw.sqlite3_bind_int64(stmt, p + 5, total));
                }
                int rc = raw.sqlite3_step(stmt);
                if (rc != raw.SQLITE_DONE)
                    SqliteException.ThrowExceptionForRC(rc, _db); // before the reset, which clears the message
            }
            finally
            {
                raw.sqlite3_reset(stmt);
            }
            offset += rows;
        }
        Array.Clear(_rows, 0, count); // the strings of a group are not kept alive until the next
    }

    /// <summary>The upsert of <paramref name="rows"/> rows; the same conflict rule as every engine: counts add up.</summary>
    internal static string Sql(bool withTotal, int rows)
    {
        var sql = new StringBuilder(withTotal
            ? "INSERT INTO rollups (app, metric, period, value, reports, total) VALUES "
            : "INSERT INTO raw_reports (app, metric, period, value, reports) VALUES ");
        for (int r = 0; r < rows; r++)
            sql.Append(r == 0 ? "" : ",").Append(withTotal ? "(?,?,?,?,?,?)" : "(?,?,?,?,?)");
        sql.Append(withTotal
            ? " ON CONFLICT (app, metric, period, value) DO UPDATE SET reports = reports + excluded.reports, total = total + excluded.total;"
            : " ON CONFLICT (app, metric, period, value) DO UPDATE SET reports = reports + excluded.reports;");
        return sql.ToString();
    }

    private sqlite3_stmt Prepare(string sql)
    {
        int rc = raw.sqlite3_prepare_v2(_db, sql, out var stmt);
        if (rc != raw.SQLITE_OK)
        {
            stmt?.Dispose();
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
        return stmt!; // ThrowExceptionForRC throws for every code but OK
    }

    /// <summary>Binds as UTF-8 from a reused buffer (SQLite copies it: SQLITE_TRANSIENT), without a string per value.</summary>
    private void BindText(sqlite3_stmt stmt, int index, string value)
    {
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_utf8.Length < max)
            _utf8 = new byte[Math.Max(max, _utf8.Length * 2)];
        int length = Encoding.UTF8.GetBytes(value, _utf8);
        Check(raw.sqlite3_bind_text(stmt, index, _utf8.AsSpan(0, length)));
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
            SqliteException.ThrowExceptionForRC(rc, _db);
    }

    public void Dispose()
    {
        foreach (var stmt in _raw.Concat(_rollup))
            stmt?.Dispose();
    }
}
