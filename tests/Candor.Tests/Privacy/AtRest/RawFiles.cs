using Npgsql;

namespace Candor.Tests.Privacy.AtRest;

/// <summary>The bytes an attacker with the database files reads: the files themselves, not SQL.</summary>
internal static class RawFiles
{
    /// <summary>The SQLite database and its -wal and -shm files, concatenated (absent ones are empty).</summary>
    public static byte[] Sqlite(string path) =>
        [.. new[] { path, path + "-wal", path + "-shm" }.SelectMany(f => Read(f))];

    /// <summary>
    /// Every file of one PostgreSQL database (base/&lt;oid&gt;/: tables, indexes, free space and
    /// visibility maps), after a CHECKPOINT so that what is in shared buffers is in the files too.
    /// </summary>
    public static async Task<byte[]> PostgresDatabaseAsync(string connectionString)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        await using (var checkpoint = new NpgsqlCommand("CHECKPOINT;", c))
            await checkpoint.ExecuteNonQueryAsync();
        await using var where = new NpgsqlCommand("SELECT current_setting('data_directory') || '/base/' || oid FROM pg_database WHERE datname = current_database();", c);
        var directory = (string)(await where.ExecuteScalarAsync())!;
        var files = Directory.GetFiles(directory);
        Assert.NotEmpty(files); // reading the cluster's files needs root or the postgres user; an empty scan proves nothing
        return [.. files.SelectMany(f => Read(f))];
    }

    public static bool Contains(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    /// <summary>One file's bytes, read beside a running writer; empty when it does not exist (or was dropped meanwhile).</summary>
    public static byte[] Read(string path)
    {
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var m = new MemoryStream();
            f.CopyTo(m);
            return m.ToArray();
        }
        catch (FileNotFoundException)
        {
            return []; // absent, or dropped between listing and reading (a rewrite's old file)
        }
    }
}
