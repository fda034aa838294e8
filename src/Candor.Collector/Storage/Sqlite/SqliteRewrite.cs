using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

/// <summary>
/// Key order at rest on SQLite: VACUUM copies every table into a fresh database image in primary-key order
/// and writes it back over the file (truncating what is left): cells sit in key order in consecutive pages,
/// with no free page or freed cell left behind. Never started without room (<see cref="RewriteSpace"/>).
/// </summary>
internal sealed class SqliteRewrite(SqliteDatabase db) : IKeyOrderRewrite
{
    /// <summary>Off only in tests: lets a rewrite start without room, to show the WAL is emptied after it fails.</summary>
    public bool MeasureSpaceBeforeRewrite { get; set; } = true;

    public Task<bool> RewriteInKeyOrderAsync(bool force = false, CancellationToken cancellationToken = default) =>
        db.WriteAsync(async writer =>
        {
            if (!force && db.WritesSinceRewrite == 0)
                return false;
            // Never started without room: a VACUUM that fills the disk fails, and the disk it filled
            // wedged ingest again after it had healed (RewriteSpace names the estimate).
            if (MeasureSpaceBeforeRewrite && await RewriteSpace.MeasureAsync(writer, db.Path) is { Fits: false } space)
                throw new RewriteSkippedException(space.Describe());
            // Ingest waits on the write lock meanwhile (its queue absorbs the pause; 503 when full).
            // Empty the WAL first, so the file already holds every committed page. A VACUUM that fails
            // leaves only its own uncommitted frames in the WAL, which the checkpoint below drops without
            // copying anything. Committed frames left in the WAL would have to be copied into the file first,
            // growing it, and on the disk the failed VACUUM just filled that fails too (SQLITE_FULL):
            // the wedge this guards against. A long read can keep the WAL from being emptied: then wait
            // for the next interval rather than risk it.
            if (!await SqliteDatabase.TruncateWalAsync(writer))
                throw new RewriteSkippedException("the WAL could not be emptied first (a long read held it), and a VACUUM failing on top of it could leave the disk full");
            try
            {
                await SqliteDatabase.Exec(writer, "VACUUM;");
                db.Rewritten();
                return true;
            }
            finally
            {
                // Whatever happened: a VACUUM that failed half-way (disk full after all, an I/O error)
                // leaves a WAL as large as what it wrote, and on a nearly full disk that WAL is the space
                // every later commit needs.
                await SqliteDatabase.TruncateWalQuietlyAsync(writer);
            }
        }, cancellationToken);

    /// <summary>Leaves one tidy file in key order at shutdown (under the write lock): a stopped collector's file is what gets copied around.</summary>
    public async Task TidyAsync(SqliteConnection writer)
    {
        try
        {
            if (db.WritesSinceRewrite > 0 && (!MeasureSpaceBeforeRewrite || (await RewriteSpace.MeasureAsync(writer, db.Path)).Fits))
                await SqliteDatabase.Exec(writer, "VACUUM;");
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException) { }
        await SqliteDatabase.TruncateWalQuietlyAsync(writer);
    }
}
