namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// The PostgreSQL schema as an ordered list of versions. A database records the last version applied
/// in <c>schema_version</c>; start-up applies the missing ones in one transaction under an advisory lock,
/// so several collectors starting together migrate once. Versions are only ever appended, and each one
/// keeps the previous version's collectors working (add tables and columns, never rename or drop), so a
/// rolling upgrade can run old and new collectors side by side.
/// </summary>
internal static class PostgresMigrations
{
    public static readonly IReadOnlyList<(int Version, string Sql)> All =
    [
        (1, """
            CREATE TABLE schema_version (version integer NOT NULL);
            INSERT INTO schema_version (version) VALUES (0);

            -- One row per distinct report with its count (docs/privacy.md). period_start is derived from
            -- period (it adds nothing to it) and exists to partition the table by month, so retention
            -- and time-bounded reads touch only the partitions they need. Partitions are created on
            -- demand by the collectors (PostgresReportStore.EnsurePartitionsAsync).
            CREATE TABLE raw_reports (
                app          text COLLATE "C" NOT NULL,
                metric       text COLLATE "C" NOT NULL,
                period       text COLLATE "C" NOT NULL,
                value        text COLLATE "C" NOT NULL,   -- canonical; a histogram whole
                reports      bigint NOT NULL,
                period_start date NOT NULL,
                PRIMARY KEY (app, metric, period, value, period_start)
            ) PARTITION BY RANGE (period_start);

            -- Small and kept forever; the primary key serves every public read (app, metric, period range),
            -- so reading rollups costs the same whatever the number of raw rows.
            CREATE TABLE rollups (
                app     text COLLATE "C" NOT NULL,
                metric  text COLLATE "C" NOT NULL,
                period  text COLLATE "C" NOT NULL,
                value   text COLLATE "C" NOT NULL,
                reports bigint NOT NULL,
                total   bigint NOT NULL,
                PRIMARY KEY (app, metric, period, value));

            CREATE TABLE idempotency_keys (
                key_hash   bytea PRIMARY KEY,
                body_hash  bytea NOT NULL,
                accepted   integer NOT NULL,
                next_after bigint NOT NULL,
                first_seen date NOT NULL);
            CREATE INDEX idempotency_keys_first_seen ON idempotency_keys (first_seen);

            CREATE TABLE registries (
                app     text COLLATE "C" NOT NULL,
                version integer NOT NULL,
                yaml    text NOT NULL,
                sha256  text NOT NULL,
                PRIMARY KEY (app, version));
            """),
        (2, """
            -- What retention removed, per app and UTC day: public, so anyone can see raw data is really deleted.
            -- purged_before: rows of periods that ended on or before this day were removed.
            CREATE TABLE purge_log (
                app           text COLLATE "C" NOT NULL,
                day           date NOT NULL,
                purged_before date NOT NULL,
                raw_rows      bigint NOT NULL,
                reports       bigint NOT NULL,
                PRIMARY KEY (app, day, purged_before));
            """),
        (3, """
            -- Published figures, frozen: one release per (app, metric, period), written once when the period
            -- is final and never updated, so later or injected reports cannot move what was published.
            CREATE TABLE releases (
                app         text COLLATE "C" NOT NULL,
                metric      text COLLATE "C" NOT NULL,
                period      text COLLATE "C" NOT NULL,
                released_on date NOT NULL,
                document    text NOT NULL,
                PRIMARY KEY (app, metric, period));
            """),
        (4, """
            -- The body fingerprint is now keyed by the client's (never stored) Idempotency-Key
            -- (Ingest/IdempotencyFingerprint.cs). The unkeyed SHA-256 hashes kept so far let anyone with
            -- the database confirm a guessed batch: wipe them. The table is rewritten into a new file at
            -- start-up (PostgresReportStore.RewriteInKeyOrderAsync), so the old bytes leave the table's
            -- files; an empty fingerprint makes a retry with its key a replay, as before.
            ALTER TABLE idempotency_keys RENAME COLUMN body_hash TO body_mac;
            UPDATE idempotency_keys SET body_mac = '\x';
            """),
        (5, """
            -- Privacy Pass double-spend store: the key id and nonce of each redeemed token, nothing else
            -- (no time, no link to report rows).
            CREATE TABLE spent_tokens (
                token_key bytea NOT NULL,
                nonce  bytea NOT NULL,
                PRIMARY KEY (token_key, nonce));
            """),
        (6, """
            -- Transparency log (docs/transparency.md). The commitments the collector holds, one per report;
            -- app is the name the report's raw row has. state: 0 pending, 1 logged, 2 deleted by receipt.
            -- Rewritten in commitment (random) order with the other tables, so heap order, ctid and xmin
            -- say nothing about which commitments arrived together.
            CREATE TABLE commitments (
                commitment bytea PRIMARY KEY,
                app        text COLLATE "C" NOT NULL,
                metric     text COLLATE "C" NOT NULL,
                period     text COLLATE "C" NOT NULL,
                value      text COLLATE "C" NOT NULL,
                state      smallint NOT NULL);
            -- Entries (kind || commitment) waiting for the next epoch.
            CREATE TABLE log_pending (entry bytea PRIMARY KEY);
            -- One row: the log's size and how many batches (or deletion requests) fed the pending set.
            -- Sealing locks it first (SELECT ... FOR UPDATE), so concurrent collectors seal one at a time.
            CREATE TABLE log_state (
                singleton       integer PRIMARY KEY CHECK (singleton = 1),
                tree_size       bigint NOT NULL,
                pending_posts bigint NOT NULL);
            INSERT INTO log_state (singleton, tree_size, pending_posts) VALUES (1, 0, 0);
            -- The public log: tiles of height 8, entry bundles of 256, entry -> leaf index, every checkpoint.
            CREATE TABLE log_tiles (
                level  integer NOT NULL,
                tile_index bigint NOT NULL,
                hashes     bytea NOT NULL,
                PRIMARY KEY (level, tile_index));
            CREATE TABLE log_bundles (bundle_index bigint PRIMARY KEY, entries bytea NOT NULL);
            CREATE TABLE log_leaves (entry bytea PRIMARY KEY, leaf_index bigint NOT NULL);
            CREATE TABLE log_checkpoints (tree_size bigint PRIMARY KEY, note text NOT NULL);
            """),
        (7, """
            -- Commitments without values: a row keeps what deletion and retention need (the commitment,
            -- the app's stored name, the ISO week it retires with, its state); a receipt brings metric, period and
            -- value, and the commitment proves them. Deleted reports' rows go, not just their state. The old
            -- columns stay, nullable and emptied (a collector of the previous version may still write them during
            -- a rolling upgrade: sealing empties them again); the store rewrites the table after this step, so
            -- the old values leave the files.
            DELETE FROM commitments WHERE state = 2;
            ALTER TABLE commitments ADD COLUMN retire text COLLATE "C";
            ALTER TABLE commitments ALTER COLUMN metric DROP NOT NULL, ALTER COLUMN period DROP NOT NULL, ALTER COLUMN value DROP NOT NULL;
            UPDATE commitments SET retire = period, metric = NULL, period = NULL, value = NULL;
            -- Pending entries carry the epoch count at their arrival (each lands in one of the next K epochs).
            ALTER TABLE log_pending ADD COLUMN arrived bigint NOT NULL DEFAULT 0;
            -- The number of epochs sealed so far.
            ALTER TABLE log_state ADD COLUMN epoch bigint NOT NULL DEFAULT 0;
            """),
        (8, """
            -- Privacy Pass issuance budgets (PrivacyPass/IssuanceBudget.cs), shared by every issuer process:
            -- tokens given per client (an HMAC of its address's /64 under a key kept outside the database) per
            -- period; rows of past periods are deleted when a period turns.
            CREATE TABLE issuance_budgets (
                period    bigint NOT NULL,
                client_tag bytea NOT NULL,
                used      integer NOT NULL,
                PRIMARY KEY (period, client_tag));
            """),
        (9, """
            -- DAP (Dap/DapStore.cs). Reports waiting at the Leader, keyed by their random report id; time is the
            -- client's, rounded down to the task's precision; no address is stored. A row is deleted once its report
            -- is aggregated or rejected (the heap keeps dead tuples until VACUUM: docs/dap.md).
            CREATE TABLE dap_reports (
                task      bytea NOT NULL,
                report    bytea NOT NULL,
                bucket         bigint NOT NULL,
                public_share bytea NOT NULL,
                leader_share bytea NOT NULL,   -- the Leader's own input share, decrypted at upload
                helper_share bytea NOT NULL,   -- the Helper's HpkeCiphertext, sealed by the client
                PRIMARY KEY (task, report));
            -- Every report id an aggregator has taken (replay protection), with its bucket (rounded time).
            CREATE TABLE dap_report_ids (
                task   bytea NOT NULL,
                report bytea NOT NULL,
                bucket      bigint NOT NULL,
                PRIMARY KEY (task, report));
            -- This aggregator's aggregate share per time-precision bucket: output shares are added in and forgotten.
            CREATE TABLE dap_batch_shares (
                task   bytea NOT NULL,
                bucket    bigint NOT NULL,
                aggregate bytea NOT NULL,
                reports   bigint NOT NULL,
                checksum  bytea NOT NULL,
                PRIMARY KEY (task, bucket));
            -- Rejected reports per cause: counts only.
            CREATE TABLE dap_rejections (
                task bytea NOT NULL,
                cause   text NOT NULL,
                reports bigint NOT NULL,
                PRIMARY KEY (task, cause));
            -- The Helper's aggregation jobs: the request's hash and the answer, so a retried PUT gets the same answer.
            CREATE TABLE dap_aggregation_jobs (
                task      bytea NOT NULL,
                job       bytea NOT NULL,
                request_hash bytea NOT NULL,
                response     bytea NOT NULL,
                PRIMARY KEY (task, job));
            -- Collected batch intervals; the Helper keeps its answer for a repeated aggregate-share request.
            CREATE TABLE dap_collected_batches (
                task      bytea NOT NULL,
                start        bigint NOT NULL,
                duration     bigint NOT NULL,
                request_hash bytea,
                response     bytea,
                PRIMARY KEY (task, start));
            -- The Leader's collection jobs: the query, then the encoded Collection or the DAP error type.
            CREATE TABLE dap_collection_jobs (
                task      bytea NOT NULL,
                job       bytea NOT NULL,
                start        bigint NOT NULL,
                duration     bigint NOT NULL,
                request_hash bytea NOT NULL,
                result       bytea,
                error        text,
                PRIMARY KEY (task, job));
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
            ALTER TABLE dap_aggregation_jobs ADD COLUMN answered bigint NOT NULL DEFAULT 0;
            UPDATE dap_aggregation_jobs SET answered = (floor(extract(epoch FROM now()) / 3600) * 3600)::bigint;
            """),
        (14, """
            -- Under load a group commit appends its summed cells here as one row (Storage/CellJournal.cs) instead of
            -- upserting each cell; a fold deletes the rows and adds their sums to raw_reports and rollups. Any
            -- collector may fold any row: the rows a fold deletes are exactly the rows it adds.
            CREATE TABLE cell_journal (
                id    bigserial PRIMARY KEY,
                delta bytea NOT NULL);
            -- Out of line without compression: a row is read once, by its fold, and compressing it cost CPU on every group.
            ALTER TABLE cell_journal ALTER COLUMN delta SET STORAGE EXTERNAL;
            """),
    ];

    public static int Latest => All[^1].Version;

    /// <summary>The version that renames body_hash to body_mac and wipes the unkeyed body hashes
    /// (the store then cleans the old bytes out of the files and writes body_mac from here on).</summary>
    public const int FingerprintWipe = 4;

    /// <summary>The version that empties commitments of their values and drops deleted ones (the table is rewritten after it).</summary>
    public const int CommitmentsWithoutValues = 7;

    /// <summary>The version that adds the cell journal (folded at start-up from here on).</summary>
    public const int CellJournal = 14;
}
