using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

/// <summary>
/// Whether a key-order rewrite (<c>VACUUM</c>) fits on the disks it writes to. A VACUUM started without
/// room fills the disk, fails with SQLITE_FULL, and before this check the WAL it had filled stayed that
/// large, so every commit after it failed again: a full disk that had healed wedged once more.
///
/// The estimate: VACUUM copies the live pages (<c>page_count - freelist_count</c> pages) into a temporary
/// database in SQLite's temporary folder, then writes that whole image into the WAL beside the database
/// before a checkpoint moves it into the file. So it needs free, beside the database, the live size plus
/// the WAL's own bound (<see cref="SqliteReportStore.WalCheckpointPages"/>, 4 MiB) plus 10 %; and in the
/// temporary folder the live size plus 10 %; the sum of both when they are one filesystem.
/// </summary>
internal sealed record RewriteSpace(string DatabasePath, long LiveBytes, long NeededBesideDatabase, long FreeBesideDatabase,
    string? TemporaryFolder, long NeededInTemporaryFolder, long FreeInTemporaryFolder)
{
    public bool Fits => FreeBesideDatabase >= NeededBesideDatabase && FreeInTemporaryFolder >= NeededInTemporaryFolder;

    public static async Task<RewriteSpace> MeasureAsync(SqliteConnection writer, string databasePath)
    {
        long pageSize = await ScalarAsync(writer, "PRAGMA page_size;");
        long live = (await ScalarAsync(writer, "PRAGMA page_count;") - await ScalarAsync(writer, "PRAGMA freelist_count;")) * pageSize;
        long margin = live / 10;
        long besideDatabase = live + margin + SqliteReportStore.WalCheckpointPages * pageSize;
        var folder = Path.GetDirectoryName(databasePath)!;
        long freeBeside = new DriveInfo(folder).AvailableFreeSpace;

        // temp_store=2 (MEMORY): the temporary copy is in memory, not on a disk.
        if (await ScalarAsync(writer, "PRAGMA temp_store;") == 2)
            return new(databasePath, live, besideDatabase, freeBeside, null, 0, 0);
        var temporary = SqliteTemporaryFolder() ?? folder;
        long inTemporary = live + margin;
        if (SameFilesystem(folder, temporary))
            return new(databasePath, live, besideDatabase + inTemporary, freeBeside, null, 0, 0);
        return new(databasePath, live, besideDatabase, freeBeside, temporary, inTemporary, new DriveInfo(temporary).AvailableFreeSpace);
    }

    /// <summary>The reason a rewrite is skipped, for the warning the operator reads.</summary>
    public string Describe()
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"it needs about {MiB(NeededBesideDatabase)} MiB free beside {DatabasePath} ({MiB(LiveBytes)} MiB of live pages copied whole into the WAL{(TemporaryFolder is null ? " and into a temporary copy on the same disk" : "")}, plus 4 MiB and 10 %) and {MiB(FreeBesideDatabase)} MiB are free");
        if (TemporaryFolder is not null)
            text += string.Create(CultureInfo.InvariantCulture,
                $"; and {MiB(NeededInTemporaryFolder)} MiB in SQLite's temporary folder {TemporaryFolder} for the copy, where {MiB(FreeInTemporaryFolder)} MiB are free");
        return text;
    }

    private static string MiB(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>Where SQLite puts VACUUM's temporary database on Unix (os_unix.c, unixTempFileDir): the first
    /// writable folder of SQLITE_TMPDIR, TMPDIR, /var/tmp, /usr/tmp, /tmp; on Windows the user's temp folder.</summary>
    private static string? SqliteTemporaryFolder()
    {
        if (OperatingSystem.IsWindows())
            return Path.GetTempPath();
        foreach (var candidate in new[] { Environment.GetEnvironmentVariable("SQLITE_TMPDIR"), Environment.GetEnvironmentVariable("TMPDIR"), "/var/tmp", "/usr/tmp", "/tmp" })
            if (!string.IsNullOrEmpty(candidate) && Directory.Exists(candidate))
                return candidate;
        return null;
    }

    /// <summary>
    /// .NET names no device of a path, so two folders whose filesystems report the same size and free
    /// space are taken to be one. Wrong only towards caution: two different filesystems that happen to
    /// match are asked for the sum of both needs.
    /// </summary>
    private static bool SameFilesystem(string a, string b)
    {
        var (x, y) = (new DriveInfo(a), new DriveInfo(b));
        return x.TotalSize == y.TotalSize && x.AvailableFreeSpace == y.AvailableFreeSpace;
    }

    private static async Task<long> ScalarAsync(SqliteConnection c, string sql)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
