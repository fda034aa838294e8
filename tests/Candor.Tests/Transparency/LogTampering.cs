using System.Security.Cryptography;
using Candor.Tests.Infrastructure;
using Candor.Transparency;
using Microsoft.Data.Sqlite;

namespace Candor.Tests.Transparency;

/// <summary>
/// What an operator rewriting its log would do to the collector's SQLite database: replace one leaf's
/// entry (in the entry bundle, the leaf-hash tile and the leaf index), and sign a checkpoint over the new
/// root with the collector's own key file, so that every signature checks and only history gives it away.
/// Works on logs of up to 256 leaves (one tile, one bundle), which is all the tests need.
/// </summary>
internal static class LogTampering
{
    public static string RewriteLeaf(CollectorHost host, long leaf, byte[] newEntry)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = host.DatabasePath, Pooling = false }.ToString());
        c.Open();
        using var tx = c.BeginTransaction();
        long size = (long)Scalar(c, tx, "SELECT tree_size FROM log_state WHERE singleton = 1;")!;
        Assert.InRange(size, leaf + 1, 256);
        var bundle = (byte[])Scalar(c, tx, "SELECT entries FROM log_bundles WHERE bundle_index = 0;")!;
        var tile = (byte[])Scalar(c, tx, "SELECT hashes FROM log_tiles WHERE level = 0 AND tile_index = 0;")!;
        var oldEntry = bundle.AsSpan((int)leaf * LogEntry.Size, LogEntry.Size).ToArray();
        newEntry.CopyTo(bundle, (int)leaf * LogEntry.Size);
        MerkleHash.Leaf(newEntry).CopyTo(tile, (int)leaf * MerkleHash.Size);
        Execute(c, tx, "UPDATE log_bundles SET entries = $a WHERE bundle_index = 0;", bundle);
        Execute(c, tx, "UPDATE log_tiles SET hashes = $a WHERE level = 0 AND tile_index = 0;", tile);
        Execute(c, tx, "DELETE FROM log_leaves WHERE entry = $a;", oldEntry);
        Execute(c, tx, "INSERT INTO log_leaves (entry, leaf_index) VALUES ($a, $b);", newEntry, leaf);

        var tree = new MerkleTree();
        for (int i = 0; i < size; i++)
            tree.AppendEntry(bundle.AsSpan(i * LogEntry.Size, LogEntry.Size));
        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(host.Options.LogKeyFile()));
        var note = SignedNote.Sign(new Checkpoint(host.Options.Transparency.OriginOrDefault(), (ulong)size, tree.RootHash(size)).ToNoteText(),
            EcdsaNoteKey.ForSigning(host.Options.Transparency.OriginOrDefault(), key));
        Execute(c, tx, "UPDATE log_checkpoints SET note = $a WHERE tree_size = $b;", note, size);
        tx.Commit();
        return note;
    }

    private static object? Scalar(SqliteConnection c, SqliteTransaction tx, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    private static void Execute(SqliteConnection c, SqliteTransaction tx, string sql, params object[] args)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        for (int i = 0; i < args.Length; i++)
            cmd.Parameters.AddWithValue("$" + (char)('a' + i), args[i]);
        Assert.Equal(1, cmd.ExecuteNonQuery());
    }
}
