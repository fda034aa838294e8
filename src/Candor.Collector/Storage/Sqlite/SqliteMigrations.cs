namespace Candor.Collector.Storage.Sqlite;

/// <summary>
/// The SQLite schema as an ordered list of versions; the database records the last one applied in
/// <c>PRAGMA user_version</c>. Versions are only appended, never edited: version 1 is the schema the
/// first Candor release wrote, and a database from any release is brought forward step by step.
/// </summary>
internal static class SqliteMigrations
{
    public static readonly IReadOnlyList<(int Version, string Sql)> All =
    [
        (1, """
            CREATE TABLE IF NOT EXISTS raw_reports (
                app     TEXT NOT NULL,
                metric  TEXT NOT NULL,
                period  TEXT NOT NULL,
                value   TEXT NOT NULL,   -- canonical; a histogram whole
                reports INTEGER NOT NULL,
                PRIMARY KEY (app, metric, period, value)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS rollups (
                app     TEXT NOT NULL,
                metric  TEXT NOT NULL,
                period  TEXT NOT NULL,
                value   TEXT NOT NULL,
                reports INTEGER NOT NULL,
                total   INTEGER NOT NULL,
                PRIMARY KEY (app, metric, period, value)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS idempotency_keys (
                key_hash   BLOB PRIMARY KEY,
                body_hash  BLOB NOT NULL,
                accepted   INTEGER NOT NULL,
                next_after INTEGER NOT NULL,
                first_seen TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS registries (
                app     TEXT NOT NULL,
                version INTEGER NOT NULL,
                yaml    TEXT NOT NULL,
                sha256  TEXT NOT NULL,
                PRIMARY KEY (app, version)) WITHOUT ROWID;
            """),
        (2, """
            -- What retention removed, per app and UTC day: public, so anyone can see raw data is really deleted.
            -- purged_before: rows of periods that ended on or before this day were removed.
            CREATE TABLE purge_log (
                app           TEXT NOT NULL,
                day           TEXT NOT NULL,
                purged_before TEXT NOT NULL,
                raw_rows      INTEGER NOT NULL,
                reports       INTEGER NOT NULL,
                PRIMARY KEY (app, day, purged_before)) WITHOUT ROWID;
            """),
        (3, """
            -- Published figures, frozen: one release per (app, metric, period), written once when the period
            -- is final and never updated, so later or injected reports cannot move what was published.
            CREATE TABLE releases (
                app         TEXT NOT NULL,
                metric      TEXT NOT NULL,
                period      TEXT NOT NULL,
                released_on TEXT NOT NULL,
                document    TEXT NOT NULL,
                PRIMARY KEY (app, metric, period)) WITHOUT ROWID;
            """),
        (4, """
            -- The body fingerprint is now keyed by the client's (never stored) Idempotency-Key
            -- (Ingest/IdempotencyFingerprint.cs). The unkeyed SHA-256 hashes kept so far let anyone with
            -- the file confirm a guessed batch: wipe them (secure_delete is on, so the bytes are zeroed);
            -- an empty fingerprint makes a retry with its key a replay, as before.
            ALTER TABLE idempotency_keys RENAME COLUMN body_hash TO body_mac;
            UPDATE idempotency_keys SET body_mac = x'';
            """),
        (5, """
            -- Privacy Pass double-spend store: the key id and nonce of each redeemed token, nothing else
            -- (no time, no link to report rows; WITHOUT ROWID so storage order follows the random nonce).
            CREATE TABLE spent_tokens (
                token_key BLOB NOT NULL,
                nonce  BLOB NOT NULL,
                PRIMARY KEY (token_key, nonce)) WITHOUT ROWID;
            """),
        (6, """
            -- Transparency log (docs/transparency.md). The commitments the collector holds, one per report once
            -- its epoch is sealed (or it was deleted), keyed by the commitment (random bytes), so storage order
            -- says nothing about arrival; app is the name the report's raw row has. state: 1 logged, 2 deleted.
            CREATE TABLE commitments (
                commitment BLOB PRIMARY KEY,
                app        TEXT NOT NULL,
                metric     TEXT NOT NULL,
                period     TEXT NOT NULL,
                value      TEXT NOT NULL,
                state      INTEGER NOT NULL) WITHOUT ROWID;
            -- Entries (kind || commitment) waiting for the next epoch, keyed by the entry: no arrival order. A
            -- report entry carries its report until the epoch is sealed, when it moves to commitments in one
            -- ordered insert: inserting each report straight into the large, randomly keyed commitments
            -- table dirtied a page per report at every group commit (9 KB written per report, measured).
            CREATE TABLE log_pending (
                entry  BLOB PRIMARY KEY,
                app    TEXT,
                metric TEXT,
                period TEXT,
                value  TEXT) WITHOUT ROWID;
            -- One row: the log's size and how many batches (or deletion requests) fed the pending set.
            CREATE TABLE log_state (
                singleton       INTEGER PRIMARY KEY CHECK (singleton = 1),
                tree_size       INTEGER NOT NULL,
                pending_posts INTEGER NOT NULL) WITHOUT ROWID;
            INSERT INTO log_state (singleton, tree_size, pending_posts) VALUES (1, 0, 0);
            -- The public log. Tiles of height 8 (level, index: up to 256 hashes of 32 bytes), entry bundles
            -- of 256 entries of 33 bytes, the entry -> leaf index lookup, and every signed checkpoint.
            CREATE TABLE log_tiles (
                level  INTEGER NOT NULL,
                tile_index INTEGER NOT NULL,
                hashes     BLOB NOT NULL,
                PRIMARY KEY (level, tile_index)) WITHOUT ROWID;
            CREATE TABLE log_bundles (bundle_index INTEGER PRIMARY KEY, entries BLOB NOT NULL) WITHOUT ROWID;
            CREATE TABLE log_leaves (entry BLOB PRIMARY KEY, leaf_index INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE log_checkpoints (tree_size INTEGER PRIMARY KEY, note TEXT NOT NULL) WITHOUT ROWID;
            """),
        (7, """
            -- Commitments without values: a row keeps what deletion and retention need (the commitment,
            -- the app's stored name, the ISO week it retires with, its state); a receipt brings metric, period and
            -- value, and the commitment proves them. Deleted reports' rows go, not just their state. secure_delete
            -- is on, so the dropped tables' pages are zeroed; the store then truncates the WAL.
            CREATE TABLE commitments_v7 (
                commitment BLOB PRIMARY KEY,
                app        TEXT NOT NULL,
                retire     TEXT NOT NULL,
                state      INTEGER NOT NULL) WITHOUT ROWID;
            INSERT INTO commitments_v7 (commitment, app, retire, state)
                SELECT commitment, app, period, state FROM commitments WHERE state <> 2 ORDER BY commitment;
            -- Pending entries carry the epoch count at their arrival (each lands in one of the next K epochs), and a
            -- pending report its app and retirement week only. One deleted while pending keeps its entry (it is
            -- logged) but nothing of its report.
            CREATE TABLE log_pending_v7 (
                entry   BLOB PRIMARY KEY,
                arrived INTEGER NOT NULL,
                app     TEXT,
                retire  TEXT) WITHOUT ROWID;
            INSERT INTO log_pending_v7 (entry, arrived, app, retire)
                SELECT p.entry, 0,
                       CASE WHEN EXISTS (SELECT 1 FROM commitments c WHERE c.commitment = substr(p.entry, 2) AND c.state = 2) THEN NULL ELSE p.app END,
                       CASE WHEN EXISTS (SELECT 1 FROM commitments c WHERE c.commitment = substr(p.entry, 2) AND c.state = 2) THEN NULL ELSE p.period END
                FROM log_pending p ORDER BY p.entry;
            DELETE FROM commitments;
            DROP TABLE commitments;
            ALTER TABLE commitments_v7 RENAME TO commitments;
            DELETE FROM log_pending;
            DROP TABLE log_pending;
            ALTER TABLE log_pending_v7 RENAME TO log_pending;
            -- The number of epochs sealed so far (arrival stamps of pending entries count from it).
            ALTER TABLE log_state ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
            """),
        (8, """
            -- Privacy Pass issuance budgets (PrivacyPass/IssuanceBudget.cs): tokens given per client per period,
            -- so the bound survives restarts and holds for every issuer process sharing this database. client_tag
            -- is an HMAC of the address's /64 (or IPv4 address) under a key kept beside the token keys, never
            -- here; rows of past periods are deleted when a period turns (secure_delete zeroes them).
            CREATE TABLE issuance_budgets (
                period    INTEGER NOT NULL,
                client_tag BLOB NOT NULL,
                used      INTEGER NOT NULL,
                PRIMARY KEY (period, client_tag)) WITHOUT ROWID;
            """),
        (9, """
            -- DAP (Dap/DapStore.cs). Reports waiting at the Leader, keyed by their random report id and WITHOUT ROWID,
            -- so the file keeps no arrival order; bucket is the client's time rounded down to the task's precision. A row
            -- is deleted once its report is aggregated or rejected (secure_delete zeroes it). No address is stored.
            CREATE TABLE dap_reports (
                task      BLOB NOT NULL,
                report    BLOB NOT NULL,
                bucket         INTEGER NOT NULL,
                public_share BLOB NOT NULL,
                leader_share BLOB NOT NULL,   -- the Leader's own input share, decrypted at upload
                helper_share BLOB NOT NULL,   -- the Helper's HpkeCiphertext, sealed by the client
                PRIMARY KEY (task, report)) WITHOUT ROWID;
            -- Every report id an aggregator has taken (replay protection), with its bucket (rounded time).
            CREATE TABLE dap_report_ids (
                task   BLOB NOT NULL,
                report BLOB NOT NULL,
                bucket      INTEGER NOT NULL,
                PRIMARY KEY (task, report)) WITHOUT ROWID;
            -- This aggregator's aggregate share per time-precision bucket: output shares are added in and forgotten.
            CREATE TABLE dap_batch_shares (
                task   BLOB NOT NULL,
                bucket    INTEGER NOT NULL,
                aggregate BLOB NOT NULL,
                reports   INTEGER NOT NULL,
                checksum  BLOB NOT NULL,
                PRIMARY KEY (task, bucket)) WITHOUT ROWID;
            -- Rejected reports per cause: counts only.
            CREATE TABLE dap_rejections (
                task BLOB NOT NULL,
                cause   TEXT NOT NULL,
                reports INTEGER NOT NULL,
                PRIMARY KEY (task, cause)) WITHOUT ROWID;
            -- The Helper's aggregation jobs: the request's hash and the answer, so a retried PUT gets the same answer.
            CREATE TABLE dap_aggregation_jobs (
                task      BLOB NOT NULL,
                job       BLOB NOT NULL,
                request_hash BLOB NOT NULL,
                response     BLOB NOT NULL,
                PRIMARY KEY (task, job)) WITHOUT ROWID;
            -- Collected batch intervals; the Helper keeps its answer for a repeated aggregate-share request.
            CREATE TABLE dap_collected_batches (
                task      BLOB NOT NULL,
                start        INTEGER NOT NULL,
                duration     INTEGER NOT NULL,
                request_hash BLOB,
                response     BLOB,
                PRIMARY KEY (task, start)) WITHOUT ROWID;
            -- The Leader's collection jobs: the query, then the encoded Collection or the DAP error type.
            CREATE TABLE dap_collection_jobs (
                task      BLOB NOT NULL,
                job       BLOB NOT NULL,
                start        INTEGER NOT NULL,
                duration     INTEGER NOT NULL,
                request_hash BLOB NOT NULL,
                result       BLOB,
                error        TEXT,
                PRIMARY KEY (task, job)) WITHOUT ROWID;
            """),
        (12, """
            -- DAP report ids go when their batch is collected (Dap/DapStore.cs, rule 3); this drops those of batches
            -- collected before that rule existed. A replay of one is refused because its batch is collected.
            DELETE FROM dap_report_ids WHERE EXISTS (SELECT 1 FROM dap_collected_batches b
                WHERE b.task = dap_report_ids.task AND dap_report_ids.bucket >= b.start AND dap_report_ids.bucket < b.start + b.duration);
            """),
        (13, """
            -- The Helper's answers to aggregation jobs go a day after they were given (Dap/DapStore.cs, rule 4); answered
            -- is that moment in Unix seconds, rounded down to the hour. Answers given before this version count from now.
            ALTER TABLE dap_aggregation_jobs ADD COLUMN answered INTEGER NOT NULL DEFAULT 0;
            UPDATE dap_aggregation_jobs SET answered = (CAST(strftime('%s', 'now') AS INTEGER) / 3600) * 3600;
            """),
        (14, """
            -- Under load a group commit appends its summed cells here as one row (Storage/CellJournal.cs) instead of
            -- upserting each cell; a fold deletes the rows and adds their sums to raw_reports and rollups.
            CREATE TABLE cell_journal (
                id    INTEGER PRIMARY KEY,
                delta BLOB NOT NULL);
            """),
    ];

    public static int Latest => All[^1].Version;

    /// <summary>The version that renames body_hash to body_mac and wipes the unkeyed body hashes
    /// (the store then cleans the old bytes out of the files and writes body_mac from here on).</summary>
    public const int FingerprintWipe = 4;

    /// <summary>The version that adds the transparency log's tables.</summary>
    public const int TransparencyLog = 6;

    /// <summary>The version that drops values from commitments and deleted commitments (the store truncates the WAL after it).</summary>
    public const int CommitmentsWithoutValues = 7;

    /// <summary>The version that adds the cell journal (folded at start-up from here on).</summary>
    public const int CellJournal = 14;
}
