using Candor.Collector.Transparency;
using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>Reads of the log's tables on one connection, inside the caller's transaction.</summary>
internal sealed class PostgresLogReader(NpgsqlConnection connection, long treeSize) : ILogReader
{
    public long TreeSize { get; } = treeSize;

    public static long ReadSize(NpgsqlConnection c, bool forUpdate = false)
    {
        using var cmd = new NpgsqlCommand("SELECT tree_size FROM log_state WHERE singleton = 1" + (forUpdate ? " FOR UPDATE;" : ";"), c);
        return (long)cmd.ExecuteScalar()!;
    }

    public byte[]? ReadTile(int level, long index) =>
        Scalar("SELECT hashes FROM log_tiles WHERE level = @a AND tile_index = @b;", level, index) as byte[];

    public byte[]? ReadBundle(long index) => Scalar("SELECT entries FROM log_bundles WHERE bundle_index = @a;", index) as byte[];

    public long? LeafIndexOf(byte[] entry) => Scalar("SELECT leaf_index FROM log_leaves WHERE entry = @a;", entry) is long i ? i : null;

    public bool IsPending(byte[] entry) => Scalar("SELECT 1 FROM log_pending WHERE entry = @a;", entry) is not null;

    public long CountPending() => (long)Scalar("SELECT count(*) FROM log_pending;")!;

    public string? ReadCheckpoint(long? treeSize) => treeSize is { } n
        ? Scalar("SELECT note FROM log_checkpoints WHERE tree_size = @a;", n) as string
        : Scalar("SELECT note FROM log_checkpoints ORDER BY tree_size DESC LIMIT 1;") as string;

    private object? Scalar(string sql, params object[] args)
    {
        using var cmd = new NpgsqlCommand(sql, connection);
        for (int i = 0; i < args.Length; i++)
            cmd.Parameters.AddWithValue(((char)('a' + i)).ToString(), args[i]);
        var value = cmd.ExecuteScalar();
        return value is DBNull ? null : value;
    }
}
