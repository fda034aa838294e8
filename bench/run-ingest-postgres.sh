#!/usr/bin/env bash
# Ingest benchmark on PostgreSQL: POST batches of 16 reports to one collector, then to two collectors
# sharing one database (one wrk per collector, half the connections each, run at the same time), and a
# count of the reports actually stored in each run. PostgreSQL is a throwaway cluster on 127.0.0.1 with
# fsync ON (scripts/test-postgres.sh with CANDOR_TEST_PG_FSYNC=on): a 202 means committed to disk.
# Usage: bench/run-ingest-postgres.sh [seconds=20] [connections=512] [wrk threads=1]
set -euo pipefail
# wrk sends everything from one address: turn the per-address limit off for the measurement.
export CANDOR_RateLimitPerAddressPerSecond=0
cd "$(dirname "$0")/.."
seconds=${1:-20}; connections=${2:-512}; threads=${3:-1}
ports=(${CANDOR_BENCH_PORT:-5191} ${CANDOR_BENCH_PORT2:-5192})
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
command -v psql >/dev/null || { echo "needs psql (apt-get install postgresql)" >&2; exit 1; }

export CANDOR_TEST_PG_PORT=${CANDOR_BENCH_PG_PORT:-54349} CANDOR_TEST_PG_DIR=${CANDOR_BENCH_PG_DIR:-/tmp/candor-bench-postgres} CANDOR_TEST_PG_FSYNC=on
dotnet build -c Release src/Candor.Cli -v q -nologo >/dev/null
out=$(mktemp -d)
servers=()
cleanup() {
  for s in "${servers[@]}"; do kill "$s" 2>/dev/null || true; wait "$s" 2>/dev/null || true; done
  scripts/test-postgres.sh stop
}
trap cleanup EXIT
scripts/test-postgres.sh start >/dev/null
sql() { psql -qtA -h 127.0.0.1 -p "$CANDOR_TEST_PG_PORT" -U postgres -d "$1" -c "$2"; }

run() { # run <collectors>
  local n=$1 db="candor_bench_$1"
  sql postgres "DROP DATABASE IF EXISTS $db WITH (FORCE);" && sql postgres "CREATE DATABASE $db;"
  local conn="Host=127.0.0.1;Port=$CANDOR_TEST_PG_PORT;Username=postgres;Database=$db;Maximum Pool Size=20"
  servers=()
  for i in $(seq 0 $((n - 1))); do
    dotnet src/Candor.Cli/bin/Release/net10.0/candor.dll serve --db "$conn" --urls "http://127.0.0.1:${ports[$i]}" > "$out/serve-$i.log" 2>&1 &
    servers+=($!)
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:${ports[$i]}/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  done
  local per=$((connections / n))
  echo "== $n collector(s), warm-up (5 s, not counted)"
  local warm=()
  for i in $(seq 0 $((n - 1))); do wrk -t"$threads" -c"$per" -d5s -s bench/wrk/ingest.lua "http://127.0.0.1:${ports[$i]}" >/dev/null & warm+=($!); done
  wait "${warm[@]}"
  local before; before=$(sql "$db" "SELECT coalesce(sum(reports), 0) FROM raw_reports;")
  echo "== $n collector(s), POST 16 reports a batch: $n x wrk -t$threads -c$per -d${seconds}s -s bench/wrk/ingest.lua"
  local pids=()
  for i in $(seq 0 $((n - 1))); do
    wrk -t"$threads" -c"$per" -d"${seconds}s" -s bench/wrk/ingest.lua "http://127.0.0.1:${ports[$i]}" > "$out/wrk-$i.txt" &
    pids+=($!)
  done
  wait "${pids[@]}"
  for i in $(seq 0 $((n - 1))); do echo "-- collector $((i + 1)) (port ${ports[$i]})"; cat "$out/wrk-$i.txt"; done
  local after; after=$(sql "$db" "SELECT coalesce(sum(reports), 0) FROM raw_reports;")
  echo "== $n collector(s): reports stored during the measured run: $((after - before)) ($(( (after - before) / seconds )) reports/s, durable: fsync on)"
  for s in "${servers[@]}"; do kill "$s"; wait "$s" 2>/dev/null || true; done
  servers=()
}

run 1
run 2
