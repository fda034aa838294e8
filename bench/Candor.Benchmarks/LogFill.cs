using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using Candor.Collector.Storage.Sqlite;
using Candor.Collector.Transparency;
using Candor.Transparency;
using Microsoft.Data.Sqlite;

namespace Candor.Benchmarks;

/// <summary>
/// <c>fill-log &lt;sqlite file&gt; &lt;leaves&gt; [--full]</c>: writes a transparency log of that many leaves straight
/// into a collector's SQLite schema, as the sealer would have left it: every tile of every level (and,
/// with --full, the entry bundles, the entry -> leaf index lookup and one commitment row per leaf), so
/// that proofs can be timed at 100 million leaves without ingesting 100 million reports. Leaf i is the
/// report entry of the commitment SHA-256(i). Tiles are computed in parallel, written in one transaction.
/// </summary>
public static class LogFill
{
    public static int Run(string path, long leaves, bool full)
    {
        var clock = Stopwatch.StartNew();
        if (File.Exists(path))
            throw new IOException($"{path} exists; fill-log writes a new file.");
        var store = new SqliteReportStore(path);
        store.MigrateAsync().GetAwaiter().GetResult();
        store.DisposeAsync().AsTask().GetAwaiter().GetResult(); // its writer connection holds the file otherwise
        SqliteConnection.ClearAllPools();
        using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        c.Open();
        Exec(c, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;");
        using var tx = c.BeginTransaction();
        using var tile = Command(c, tx, "INSERT INTO log_tiles (level, tile_index, hashes) VALUES ($l, $i, $h);", "$l", "$i", "$h");
        using var bundle = Command(c, tx, "INSERT INTO log_bundles (bundle_index, entries) VALUES ($i, $e);", "$i", "$e");
        using var leaf = Command(c, tx, "INSERT INTO log_leaves (entry, leaf_index) VALUES ($e, $i);", "$e", "$i");
        using var row = Command(c, tx, "INSERT INTO commitments (commitment, app, metric, period, value, state) VALUES ($c, 'org.example.editor', 'system.os', '2026-W47', 'linux', 1);", "$c");

        const int W = TiledTree.TileWidth, H = MerkleHash.Size;
        long tiles = (leaves + W - 1) / W;
        var above = new byte[(leaves / W) * H]; // roots of the full level-0 tiles: the level-1 hashes
        const int Chunk = 4096; // tiles computed in parallel, then written in order
        for (long first = 0; first < tiles; first += Chunk)
        {
            int count = (int)Math.Min(Chunk, tiles - first);
            var hashes = new byte[count][];
            var entries = full ? new byte[count][] : null;
            Parallel.For(0, count, k =>
            {
                long t = first + k;
                int n = (int)Math.Min(W, leaves - t * W);
                var h = new byte[n * H];
                var e = new byte[n * LogEntry.Size];
                Span<byte> index = stackalloc byte[8];
                for (int j = 0; j < n; j++)
                {
                    BinaryPrimitives.WriteInt64BigEndian(index, t * W + j);
                    var entry = e.AsSpan(j * LogEntry.Size, LogEntry.Size);
                    entry[0] = (byte)LogEntryKind.Report;
                    SHA256.HashData(index, entry[1..]);
                    LeafHash(entry, h.AsSpan(j * H, H));
                }
                hashes[k] = h;
                if (entries is not null)
                    entries[k] = e;
                if (n == W)
                    TiledTree.Reduce(h).CopyTo(above, t * H);
            });
            for (int k = 0; k < count; k++)
            {
                Insert(tile, 0, first + k, hashes[k]);
                if (entries is null)
                    continue;
                bundle.Parameters[0].Value = first + k; bundle.Parameters[1].Value = entries[k];
                bundle.ExecuteNonQuery();
                for (int j = 0; j < entries[k].Length / LogEntry.Size; j++)
                {
                    var entry = entries[k].AsSpan(j * LogEntry.Size, LogEntry.Size).ToArray();
                    leaf.Parameters[0].Value = entry; leaf.Parameters[1].Value = (first + k) * W + j;
                    leaf.ExecuteNonQuery();
                    row.Parameters[0].Value = entry[1..];
                    row.ExecuteNonQuery();
                }
            }
            if (first % (Chunk * 16) == 0)
                Console.Error.WriteLine($"  level 0: {Math.Min(first + count, tiles)}/{tiles} tiles, {clock.Elapsed.TotalSeconds:F0} s");
        }
        // The levels above, from the roots of the full tiles below, until a level has no full tile.
        for (int level = 1; above.Length > 0; level++)
        {
            long n = above.Length / H;
            var next = new byte[(n / W) * H];
            for (long t = 0; t * W < n; t++)
            {
                int width = (int)Math.Min(W, n - t * W);
                var h = above.AsSpan((int)(t * W * H), width * H).ToArray();
                Insert(tile, level, t, h);
                if (width == W)
                    TiledTree.Reduce(h).CopyTo(next, t * H);
            }
            above = next;
        }
        using (var state = Command(c, tx, "UPDATE log_state SET tree_size = $n WHERE singleton = 1;", "$n"))
        {
            state.Parameters[0].Value = leaves;
            state.ExecuteNonQuery();
        }
        tx.Commit();
        Exec(c, "PRAGMA journal_mode=WAL;");
        Console.Error.WriteLine($"{leaves} leaves in {clock.Elapsed.TotalSeconds:F0} s; {new FileInfo(path).Length / (double)leaves:F1} bytes per leaf in {path}");
        return 0;
    }

    private static void LeafHash(ReadOnlySpan<byte> entry, Span<byte> hash)
    {
        Span<byte> input = stackalloc byte[1 + LogEntry.Size];
        input[0] = 0x00;
        entry.CopyTo(input[1..]);
        SHA256.HashData(input, hash);
    }

    private static void Insert(SqliteCommand tile, int level, long index, byte[] hashes)
    {
        tile.Parameters[0].Value = level; tile.Parameters[1].Value = index; tile.Parameters[2].Value = hashes;
        tile.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection c, SqliteTransaction tx, string sql, params string[] names)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var n in names)
            cmd.Parameters.Add(new SqliteParameter { ParameterName = n });
        cmd.Prepare();
        return cmd;
    }

    private static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
