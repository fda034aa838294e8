using Microsoft.Data.Sqlite;

namespace Candor.Client.LocalStore;

/// <summary>
/// The client store's own schema steps, numbered by SQLite's <c>user_version</c> (the collector's
/// migrations are a different thing for a different database). Version 0 is the schema
/// <see cref="ClientStore"/> creates or upgrades in place (tables created if missing, columns added if
/// missing), as every client before these steps left it. Each step runs in one transaction with its
/// version bump, so a crash leaves the store before or after the step, never between; a store written
/// by a newer client (a higher version) is left as it is.
/// </summary>
internal static class ClientStoreMigrations
{
    /// <summary>Step <c>i</c> moves the store from version <c>i</c> to <c>i + 1</c>. Append only: a shipped step is never edited.</summary>
    private static readonly string[] Steps =
    [
        // 1: the keys this device saw the operator replace (gateway keys, token keys) and the set it accepted
        // last, so that a restart does not forget them (docs/ohttp.md, "Key consistency", rule 4).
        """
        CREATE TABLE IF NOT EXISTS key_history (kind TEXT NOT NULL, key BLOB NOT NULL, state TEXT NOT NULL,
            seen_at TEXT NOT NULL, PRIMARY KEY (kind, key));
        """,
    ];

    /// <summary>The version this client writes.</summary>
    public static int Latest => Steps.Length;

    public static long Version(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA user_version;";
        return (long)cmd.ExecuteScalar()!;
    }

    public static void Apply(SqliteConnection c)
    {
        for (long version = Version(c); version < Steps.Length; version++)
        {
            using var tx = c.BeginTransaction();
            ClientStore.Execute(c, tx, Steps[version]);
            // user_version lives in the file header, written with the transaction.
            ClientStore.Execute(c, tx, $"PRAGMA user_version = {version + 1};");
            tx.Commit();
        }
    }
}
