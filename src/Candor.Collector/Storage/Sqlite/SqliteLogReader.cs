using Candor.Collector.Transparency;
using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

/// <summary>Reads of the log's tables on one connection, inside the caller's transaction (a consistent snapshot).</summary>
internal sealed class SqliteLogReader(SqliteConnection connection, SqliteTransaction transaction) : ILogReader, IDisposable
{
    private SqliteCommand? _tile, _bundle, _leaf, _pending, _checkpoint;

    public long TreeSize { get; } = ReadSize(connection, transaction);

    private static long ReadSize(SqliteConnection c, SqliteTransaction tx)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT tree_size FROM log_state WHERE singleton = 1;";
        return (long)cmd.ExecuteScalar()!;
    }

    public byte[]? ReadTile(int level, long index) =>
        Blob(ref _tile, "SELECT hashes FROM log_tiles WHERE level = $a AND tile_index = $b;", level, index);

    public byte[]? ReadBundle(long index) => Blob(ref _bundle, "SELECT entries FROM log_bundles WHERE bundle_index = $a;", index);

    public long? LeafIndexOf(byte[] entry) =>
        Scalar(ref _leaf, "SELECT leaf_index FROM log_leaves WHERE entry = $a;", entry) is long i ? i : null;

    public bool IsPending(byte[] entry) => Scalar(ref _pending, "SELECT 1 FROM log_pending WHERE entry = $a;", entry) is not null;

    public long CountPending()
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = "SELECT count(*) FROM log_pending;";
        return (long)cmd.ExecuteScalar()!;
    }

    public string? ReadCheckpoint(long? treeSize) => treeSize is { } n
        ? Scalar(ref _checkpoint, "SELECT note FROM log_checkpoints WHERE tree_size = $a;", n) as string
        : Scalar(ref _checkpoint, "SELECT note FROM log_checkpoints WHERE tree_size = (SELECT max(tree_size) FROM log_checkpoints) AND $a IS NULL;", DBNull.Value) as string;

    private byte[]? Blob(ref SqliteCommand? cmd, string sql, params object[] args) => Scalar(ref cmd, sql, args) as byte[];

    private object? Scalar(ref SqliteCommand? cmd, string sql, params object[] args)
    {
        if (cmd is null || cmd.CommandText != sql)
        {
            cmd?.Dispose();
            cmd = connection.CreateCommand();
            cmd.Transaction = transaction;
            cmd.CommandText = sql;
            for (int i = 0; i < args.Length; i++)
                cmd.Parameters.Add(new SqliteParameter { ParameterName = "$" + (char)('a' + i) });
        }
        for (int i = 0; i < args.Length; i++)
            cmd.Parameters[i].Value = args[i];
        var value = cmd.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    public void Dispose()
    {
        foreach (var c in new[] { _tile, _bundle, _leaf, _pending, _checkpoint })
            c?.Dispose();
    }
}
