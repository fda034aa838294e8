using System.Net;
using System.Security.Cryptography;
using System.Text;
using Candor.Collector.Ingest;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Postgres;
using Candor.Collector.Storage.Sqlite;
using Candor.Protocol;
using Candor.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Candor.Tests.Privacy.AtRest;

/// <summary>
/// Privacy invariant 9, second half, attacked as the issue did: client bodies are deterministic, so an
/// attacker with the database who guesses a stored batch exactly must still be unable to confirm it.
/// The attacker here is given the correct guesses outright, and tries every fingerprint computable
/// from what the database holds (plain SHA-256 of the body, HMAC under an empty key, the app, the
/// stored key id) against every stored row and every byte of the files. None matches. Only the
/// client's Idempotency-Key, never stored, yields the stored value: shown too, so the test can fail.
/// </summary>
public sealed class GuessingBatchesTests
{
    [Fact]
    public Task A_correct_guess_of_a_stored_batch_cannot_be_confirmed_from_the_sqlite_files() => GuessAsync(null);

    [PostgresFact]
    public async Task A_correct_guess_of_a_stored_batch_cannot_be_confirmed_from_the_postgres_database()
    {
        await using var database = await TestDatabase.CreateAsync();
        await GuessAsync(database.ConnectionString);
    }

    private static async Task GuessAsync(string? postgres)
    {
        await using var host = await CollectorHost.StartAsync(o => { if (postgres is not null) o.Database = postgres; });
        // Compact JSON as the client writes it; the key is what the client sends: a random UUID.
        var sent = new List<(string Body, string Key)>();
        foreach (var os in new[] { "linux", "windows", "macos", "other" })
            foreach (var launches in new[] { 1, 2, 5, 10, 20 })
            {
                var body = $$"""{"schema":1,"period":"2026-W47","reports":[{"metric":"app.launches","value":{{launches}}},{"metric":"system.os","value":"{{os}}"}]}""";
                var key = Guid.NewGuid().ToString("n");
                Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(body, idempotencyKey: key)).StatusCode);
                sent.Add((body, key));
            }

        var stored = postgres is null ? ReadSqlite(host.DatabasePath) : await ReadPostgresAsync(postgres);
        var files = postgres is null ? RawFiles.Sqlite(host.DatabasePath) : await RawFiles.PostgresDatabaseAsync(postgres);
        Assert.Equal(sent.Count, stored.Count);

        foreach (var (body, key) in sent)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            var keyId = IdempotencyFingerprint.KeyId(TestRegistries.App, key);
            // The row exists, and its fingerprint is of this body under the client's key: the attack has a target.
            Assert.Equal(IdempotencyFingerprint.BodyMac(TestRegistries.App, key, bytes), stored[Convert.ToHexString(keyId)]);

            foreach (var guess in AttackerFingerprints(bytes, stored.Keys))
            {
                Assert.DoesNotContain(stored.Values, mac => mac.AsSpan().SequenceEqual(guess));
                Assert.False(RawFiles.Contains(files, guess), "a fingerprint computable without the client's key is in the files");
            }
        }
    }

    /// <summary>Everything someone holding the database (but not the clients' keys) can compute from a guessed body.</summary>
    private static IEnumerable<byte[]> AttackerFingerprints(byte[] body, IEnumerable<string> storedKeyIds)
    {
        yield return SHA256.HashData(body);
        yield return SHA256.HashData([.. Encoding.UTF8.GetBytes(TestRegistries.App + "\n"), .. body]);
        yield return HMACSHA256.HashData(Array.Empty<byte>(), body);
        yield return HMACSHA256.HashData(Encoding.UTF8.GetBytes(TestRegistries.App), body);
        foreach (var id in storedKeyIds)
            yield return HMACSHA256.HashData(Convert.FromHexString(id), body);
    }

    [Fact]
    public async Task Unkeyed_hashes_left_by_an_older_candor_are_wiped_from_the_sqlite_files_and_retries_still_replay()
    {
        var dir = Directory.CreateTempSubdirectory("candor-guess-").FullName;
        var db = Path.Combine(dir, "old.db");
        var body = Encoding.UTF8.GetBytes("""{"schema":1,"period":"2026-W47","reports":[{"metric":"system.os","value":"macos"}]}""");
        var oldHash = SHA256.HashData(body);
        var keyId = IdempotencyFingerprint.KeyId("app.a", "k1");
        await using (var old = new SqliteReportStore(db))
        {
            // The last schema with unkeyed hashes: what a collector of the previous release left.
            await old.MigrateAsync(SqliteMigrations.FingerprintWipe - 1, default);
            await old.AppendGroupAsync([Request(keyId, oldHash)]);
        }
        SqliteConnection.ClearAllPools();
        Assert.True(RawFiles.Contains(RawFiles.Sqlite(db), oldHash));

        await using var store = new SqliteReportStore(db);
        await store.MigrateAsync();
        Assert.False(RawFiles.Contains(RawFiles.Sqlite(db), oldHash), "the unkeyed hash survived the migration in the files");
        Assert.Equal(AppendOutcomeKind.Replayed, (await store.AppendGroupAsync([Request(keyId, IdempotencyFingerprint.BodyMac("app.a", "k1", body))]))[0].Kind);
        Assert.Equal(1, (await store.ReadRawAsync("app.a")).Single().Reports);
    }

    [PostgresFact]
    public async Task Unkeyed_hashes_left_by_an_older_candor_are_wiped_from_the_postgres_files_and_retries_still_replay()
    {
        await using var database = await TestDatabase.CreateAsync();
        var body = Encoding.UTF8.GetBytes("""{"schema":1,"period":"2026-W47","reports":[{"metric":"system.os","value":"macos"}]}""");
        var oldHash = SHA256.HashData(body);
        var keyId = IdempotencyFingerprint.KeyId("app.a", "k1");
        await using (var old = new PostgresReportStore(database.ConnectionString))
        {
            await old.MigrateAsync(PostgresMigrations.FingerprintWipe - 1, default);
            await old.AppendGroupAsync([Request(keyId, oldHash)]);
        }
        Assert.True(RawFiles.Contains(await RawFiles.PostgresDatabaseAsync(database.ConnectionString), oldHash));

        await using var store = new PostgresReportStore(database.ConnectionString);
        await store.MigrateAsync();
        Assert.False(RawFiles.Contains(await RawFiles.PostgresDatabaseAsync(database.ConnectionString), oldHash), "the unkeyed hash survived the migration in the files");
        Assert.Equal(AppendOutcomeKind.Replayed, (await store.AppendGroupAsync([Request(keyId, IdempotencyFingerprint.BodyMac("app.a", "k1", body))]))[0].Kind);
    }

    private static AppendRequest Request(byte[] keyId, byte[] fingerprint) =>
        new("app.a", [new ValidatedReport("system.os", "2026-W47", "macos", null)], keyId, fingerprint, new IngestResponse(1, 86400), new DateOnly(2026, 11, 22));

    private static Dictionary<string, byte[]> ReadSqlite(string path)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT key_hash, body_mac FROM idempotency_keys;";
        using var r = cmd.ExecuteReader();
        var rows = new Dictionary<string, byte[]>();
        while (r.Read())
            rows[Convert.ToHexString((byte[])r.GetValue(0))] = (byte[])r.GetValue(1);
        return rows;
    }

    private static async Task<Dictionary<string, byte[]>> ReadPostgresAsync(string connectionString)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT key_hash, body_mac FROM idempotency_keys;", c);
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new Dictionary<string, byte[]>();
        while (await r.ReadAsync())
            rows[Convert.ToHexString((byte[])r.GetValue(0))] = (byte[])r.GetValue(1);
        return rows;
    }
}
