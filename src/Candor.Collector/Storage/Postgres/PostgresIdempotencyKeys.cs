using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// Idempotency keys on PostgreSQL: claimed by the group's transaction in one statement (a key inserted by
/// another collector's open transaction makes ours wait for it and then see it, so the same key arriving at
/// two collectors at once is stored once), and forgotten with a rewrite so their bytes leave the files.
/// </summary>
internal sealed class PostgresIdempotencyKeys(PostgresDatabase db) : IIdempotencyKeyStore
{
    public async Task<int> PurgeIdempotencyKeysAsync(DateOnly firstSeenBefore, CancellationToken cancellationToken = default)
    {
        await using var c = await db.DataSource.OpenConnectionAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand("DELETE FROM idempotency_keys WHERE first_seen < @day;", c);
        cmd.Parameters.AddWithValue("day", firstSeenBefore);
        int forgotten = await cmd.ExecuteNonQueryAsync(cancellationToken);
        // DELETE only marks the rows dead: their bytes stay in the heap and the index until vacuum
        // reuses the space, if ever. A rewrite puts the live rows in a new file and drops the old one.
        if (forgotten > 0)
            await PostgresDatabase.RewriteTableAsync(c, "idempotency_keys", "key_hash", cancellationToken);
        return forgotten;
    }

    /// <summary>
    /// Inserts every new idempotency key of the group (each key once, its first batch's answer) and
    /// returns, per key, the claim that stands: ours, or the one stored before by anyone.
    /// </summary>
    public static async Task<Dictionary<byte[], (byte[] BodyMac, IngestResponse Response, bool Ours)>> ClaimKeysAsync(
        NpgsqlConnection c, IReadOnlyList<AppendRequest> group, string bodyColumn, CancellationToken cancellationToken)
    {
        var claims = new Dictionary<byte[], (byte[] BodyMac, IngestResponse Response, bool Ours)>(ByteOrder.Instance);
        var first = new SortedDictionary<byte[], AppendRequest>(ByteOrder.Instance);
        foreach (var r in group)
            if (r.IdempotencyKey is { } key)
                first.TryAdd(key, r);
        if (first.Count == 0)
            return claims;

        // Sorted, so that two collectors claiming overlapping keys wait on each other in the same order.
        var requests = first.Values.ToArray();
        await using (var insert = new NpgsqlCommand($"""
            INSERT INTO idempotency_keys (key_hash, {bodyColumn}, accepted, next_after, first_seen)
            SELECT * FROM unnest(@key::bytea[], @body::bytea[], @accepted::integer[], @next::bigint[], @day::date[])
            ON CONFLICT (key_hash) DO NOTHING
            RETURNING key_hash;
            """, c))
        {
            insert.Parameters.AddWithValue("key", requests.Select(r => r.IdempotencyKey!).ToArray());
            insert.Parameters.AddWithValue("body", requests.Select(r => r.BodyMac ?? []).ToArray());
            insert.Parameters.AddWithValue("accepted", requests.Select(r => r.Response.Accepted).ToArray());
            insert.Parameters.AddWithValue("next", requests.Select(r => r.Response.NextReportAfterSeconds).ToArray());
            insert.Parameters.AddWithValue("day", requests.Select(r => r.Today).ToArray());
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var r = first[(byte[])reader.GetValue(0)];
                claims[r.IdempotencyKey!] = (r.BodyMac ?? [], r.Response, true);
            }
        }
        if (claims.Count == first.Count)
            return claims;

        var taken = first.Keys.Where(k => !claims.ContainsKey(k)).ToArray();
        await using (var select = new NpgsqlCommand($"SELECT key_hash, {bodyColumn}, accepted, next_after FROM idempotency_keys WHERE key_hash = ANY(@keys);", c))
        {
            select.Parameters.AddWithValue("keys", taken);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                claims[(byte[])reader.GetValue(0)] = ((byte[])reader.GetValue(1), new IngestResponse(reader.GetInt32(2), reader.GetInt64(3)), false);
        }
        // A key that conflicted and then vanished was purged in between: let the caller's retry decide again.
        if (claims.Count != first.Count)
            throw new PostgresException("An idempotency key was purged while a group used it.", "ERROR", "ERROR", PostgresErrorCodes.SerializationFailure);
        return claims;
    }
}
