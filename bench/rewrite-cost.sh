#!/usr/bin/env bash
# What one key-order rewrite costs on a large store: the statements the collector runs
# (SqliteReportStore / PostgresReportStore.RewriteInKeyOrderAsync), timed on a raw_reports table of
# N rows (default 1,000,000) loaded in scattered key order, on SQLite and on a throwaway PostgreSQL.
# Ingest waits for the rewrite of the table it writes, so this is the pause a rewrite causes.
# Usage: bench/rewrite-cost.sh [rows=1000000]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }
command -v psql >/dev/null || { echo "needs psql (apt-get install postgresql)" >&2; exit 1; }
work=$(mktemp -d)
export CANDOR_TEST_PG_PORT=${CANDOR_BENCH_PG_PORT:-54349} CANDOR_TEST_PG_DIR=${CANDOR_BENCH_PG_DIR:-/tmp/candor-bench-postgres} CANDOR_TEST_PG_FSYNC=on
trap 'scripts/test-postgres.sh stop; rm -rf "$work"' EXIT

now() { date +%s.%N; }
load="WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $rows - 1)
  INSERT INTO raw_reports SELECT 'org.example.editor', 'metric.' || (i * 7919 % 50), '2026-W' || (40 + i % 10), 'value-' || (i * 104729 % 1000003), 1 + i % 17 FROM n;"

sqlite3 "$work/candor.db" "PRAGMA journal_mode=WAL; PRAGMA secure_delete=ON;
  CREATE TABLE raw_reports (app TEXT NOT NULL, metric TEXT NOT NULL, period TEXT NOT NULL, value TEXT NOT NULL, reports INTEGER NOT NULL,
  PRIMARY KEY (app, metric, period, value)) WITHOUT ROWID; $load PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
echo "== SQLite: $rows raw rows, $(du -h "$work/candor.db" | cut -f1) file"
t0=$(now)
sqlite3 "$work/candor.db" "PRAGMA secure_delete=ON; VACUUM; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
echo "SQLite VACUUM + wal_checkpoint(TRUNCATE): $(echo "$(now) - $t0" | bc) s"

scripts/test-postgres.sh start >/dev/null
sql() { psql -qtA -h 127.0.0.1 -p "$CANDOR_TEST_PG_PORT" -U postgres -d postgres -c "$1"; }
sql "CREATE TABLE raw_reports (app text COLLATE \"C\" NOT NULL, metric text COLLATE \"C\" NOT NULL,
  period text COLLATE \"C\" NOT NULL, value text COLLATE \"C\" NOT NULL, reports bigint NOT NULL, PRIMARY KEY (app, metric, period, value));"
sql "INSERT INTO raw_reports SELECT 'org.example.editor', 'metric.' || (i * 7919 % 50), '2026-W' || (40 + i % 10), 'value-' || (i * 104729 % 1000003), 1 + i % 17
  FROM generate_series(0::bigint, $rows - 1) AS i;"
sql "VACUUM ANALYZE raw_reports;"
echo "== PostgreSQL: $rows raw rows, $(sql "SELECT pg_size_pretty(pg_total_relation_size('raw_reports'));")"
t0=$(now)
psql -qtA -h 127.0.0.1 -p "$CANDOR_TEST_PG_PORT" -U postgres -d postgres >/dev/null <<'SQL'
BEGIN;
LOCK TABLE raw_reports IN ACCESS EXCLUSIVE MODE;
CREATE TEMP TABLE candor_rewrite ON COMMIT DROP AS SELECT * FROM raw_reports;
TRUNCATE raw_reports;
INSERT INTO raw_reports SELECT * FROM candor_rewrite ORDER BY app, metric, period, value;
COMMIT;
SQL
echo "PostgreSQL copy aside + TRUNCATE + INSERT ... ORDER BY key: $(echo "$(now) - $t0" | bc) s"
