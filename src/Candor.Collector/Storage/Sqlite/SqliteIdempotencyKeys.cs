namespace Candor.Collector.Storage.Sqlite;

/// <summary>Forgets old idempotency keys on the writer (which zeroes them), then empties the WAL of their older page images.</summary>
internal sealed class SqliteIdempotencyKeys(SqliteDatabase db) : IIdempotencyKeyStore
{
    public Task<int> PurgeIdempotencyKeysAsync(DateOnly firstSeenBefore, CancellationToken cancellationToken = default) =>
        db.WriteAsync(async writer =>
        {
            await using var cmd = writer.CreateCommand();
            cmd.CommandText = "DELETE FROM idempotency_keys WHERE first_seen < $day;";
            cmd.Parameters.AddWithValue("$day", firstSeenBefore.ToString("yyyy-MM-dd"));
            int forgotten = await cmd.ExecuteNonQueryAsync(cancellationToken);
            if (forgotten > 0)
            {
                db.Wrote();
                await SqliteDatabase.TruncateWalAsync(writer);
            }
            return forgotten;
        }, cancellationToken);
}
