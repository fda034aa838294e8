#!/usr/bin/env bash
# Ingest at ordinary concurrency: wrk -t2 -c64 (a few nginx workers or relays in front, not 512 open
# sockets), batches of 16 distinct (metric, period) reports over the 4 past weeks, and the no-op
# GET /healthz driven by the same Lua request function (bench/wrk/ingest-shape.lua, MODE=noop) in the same
# run. Each run: no-op, then ingest, then the reports stored during the ingest part, counted from the
# database. Prints one table row per run.
# Usage: bench/run-ingest-shape.sh [seconds=10] [runs=3]
#   ENGINE=sqlite (default) or ENGINE=postgres (a throwaway cluster, fsync on); COLLECTORS=1 or 2 (postgres
#   only: two collectors on one database, one wrk -t1 -c32 each, run together).
#   THREADS / CONNECTIONS change the load shape (defaults 2 and 64).
#   BENCH_CLI=/path/to/candor.dll measures another build (e.g. the commit before a change, side by side).
#   CANDOR_BENCH_PG_FSYNC=off (postgres only) runs the cluster without fsync: only to bound the fsync share
#   of the gap in a throwaway run (docs/benchmarks.md); a 202 then does not mean on disk. Default on.
# Besides the rates, each row shows batches per group commit and the mean time of one group from commit
# start to durable (candor_commit_duration_seconds on the operator listener), both over the ingest part,
# the share of groups whose cells went to the cell journal as one row (candor_cell_journal_appends_total;
# "0 %" for a build without the journal) and the journal rows each fold took on average.
set -euo pipefail
# wrk sends everything from one address: turn the per-address limit off for the measurement.
export CANDOR_RateLimitPerAddressPerSecond=0 CANDOR_Transparency__Enabled=false
cd "$(dirname "$0")/.."
seconds=${1:-10}; runs=${2:-3}
engine=${ENGINE:-sqlite}; collectors=${COLLECTORS:-1}
threads=${THREADS:-2}; connections=${CONNECTIONS:-64}
ports=(${CANDOR_BENCH_PORT:-5183} ${CANDOR_BENCH_PORT2:-5184})
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
case "$engine" in
  sqlite) command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }
          [ "$collectors" = 1 ] || { echo "COLLECTORS=2 needs ENGINE=postgres" >&2; exit 1; } ;;
  postgres) command -v psql >/dev/null || { echo "needs psql (apt-get install postgresql)" >&2; exit 1; } ;;
  *) echo "ENGINE is sqlite or postgres" >&2; exit 1 ;;
esac

dotnet build -c Release src/Candor.Cli -v q -nologo >/dev/null
work=$(mktemp -d)
servers=()
cleanup() {
  for s in "${servers[@]}"; do kill "$s" 2>/dev/null || true; wait "$s" 2>/dev/null || true; done
  [ "$engine" = postgres ] && scripts/test-postgres.sh stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$engine" = postgres ]; then
  export CANDOR_TEST_PG_PORT=${CANDOR_BENCH_PG_PORT:-54349} CANDOR_TEST_PG_DIR=${CANDOR_BENCH_PG_DIR:-/tmp/candor-bench-postgres} CANDOR_TEST_PG_FSYNC=${CANDOR_BENCH_PG_FSYNC:-on}
  scripts/test-postgres.sh start >/dev/null
  psql -qtA -h 127.0.0.1 -p "$CANDOR_TEST_PG_PORT" -U postgres -d postgres -c "DROP DATABASE IF EXISTS candor_shape WITH (FORCE);" -c "CREATE DATABASE candor_shape;" >/dev/null
  db="Host=127.0.0.1;Port=$CANDOR_TEST_PG_PORT;Username=postgres;Database=candor_shape;Maximum Pool Size=20"
  stored() { psql -qtA -h 127.0.0.1 -p "$CANDOR_TEST_PG_PORT" -U postgres -d candor_shape -c "SELECT coalesce(sum(reports), 0) FROM raw_reports;"; }
else
  db="$work/candor.db"
  stored() { sqlite3 "$work/candor.db" "SELECT coalesce(sum(reports), 0) FROM raw_reports;"; }
fi

for i in $(seq 0 $((collectors - 1))); do
  dotnet "${BENCH_CLI:-src/Candor.Cli/bin/Release/net10.0/candor.dll}" serve --db "$db" --urls "http://127.0.0.1:${ports[$i]}" --operator-urls "http://127.0.0.1:$((ports[$i] + 100))" > "$work/server-$i.log" 2>&1 &
  servers+=($!)
  for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:${ports[$i]}/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
done

# load <mode> <seconds> <out prefix>: one wrk per collector, the connections and threads split between them.
load() {
  local pids=() t=$((threads / collectors)) c=$((connections / collectors))
  [ "$t" -ge 1 ] || t=1
  for i in $(seq 0 $((collectors - 1))); do
    MODE=$1 wrk -t"$t" -c"$c" -d"$2s" -s bench/wrk/ingest-shape.lua "http://127.0.0.1:${ports[$i]}" > "$3-$i.txt" &
    pids+=($!)
  done
  wait "${pids[@]}"
}
# rate <out prefix>: requests/s summed over the wrk processes; other <out prefix>: non-2xx answers.
rate() { cat "$1"-*.txt | awk '/^Requests\/sec/ { s += $2 } END { printf "%.0f", s }'; }
other() { cat "$1"-*.txt | awk '/^answers:/ { s += $5 } END { printf "%d", s }'; }
# cpu: the collectors' CPU time so far in clock ticks (user + system, /proc/<pid>/stat): CPU per request
# does not depend on how busy the machine is, unlike the rates.
cpu() { for s in "${servers[@]}"; do awk '{ print $14 + $15 }' "/proc/$s/stat"; done | awk '{ t += $1 } END { print t }'; }
hz=$(getconf CLK_TCK)
# groups: "<batches accepted> <group commits> <commit seconds> <journaled groups>" summed over the collectors' /metrics.
groups() {
  for i in $(seq 0 $((collectors - 1))); do curl -fs "http://127.0.0.1:$((ports[$i] + 100))/metrics"; done |
    awk '/^candor_batches_accepted_total/ { b += $2 } /^candor_commit_duration_seconds_count/ { g += $2 } /^candor_commit_duration_seconds_sum/ { t += $2 }
         /^candor_cell_journal_appends_total/ { j += $2 } /^candor_cell_journal_folds_total/ { f += $2 } END { printf "%d %d %f %d %d", b, g, t, j, f }'
}

echo "engine $engine, $collectors collector(s), wrk -t$threads -c$connections in all, ${seconds} s per part, $runs runs"
load ingest 5 "$work/warm" # warm-up, not counted
echo
echo "| run | no-op GET /healthz req/s | ingest req/s | ingest / no-op | reports stored/s (database) | batches / group | ms / group | groups journaled | journal rows / fold | collector CPU µs / no-op | collector CPU µs / ingest | non-2xx |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for run in $(seq 1 "$runs"); do
  c0=$(cpu)
  load noop "$seconds" "$work/noop-$run"
  before=$(stored); g0=$(groups); c1=$(cpu)
  load ingest "$seconds" "$work/ingest-$run"
  # The last group to find the queue empty folds the cell journal before it is answered; wait for that answer.
  sleep 0.5
  after=$(stored); g1=$(groups); c2=$(cpu)
  per_group=$(echo "$g0 $g1" | awk '{ g = $7 - $2; j = $9 - $4; f = $10 - $5; rows = (f > 0) ? sprintf("%.1f", j / f) : "-";
    if (g > 0) printf "%.1f | %.2f | %.0f %% | %s", ($6 - $1) / g, 1000 * ($8 - $3) / g, 100 * j / g, rows; else printf "- | - | - | -" }')
  noop=$(rate "$work/noop-$run"); ingest=$(rate "$work/ingest-$run")
  echo "| $run | $noop | $ingest | $(awk -v a="$ingest" -v b="$noop" 'BEGIN { printf "%.2f", a / b }') | $(( (after - before) / seconds )) | $per_group | $(awk -v c=$((c1 - c0)) -v n="$noop" -v s="$seconds" -v hz="$hz" 'BEGIN { printf "%.0f", 1e6 * c / hz / (n * s) }') | $(awk -v c=$((c2 - c1)) -v n="$ingest" -v s="$seconds" -v hz="$hz" 'BEGIN { printf "%.0f", 1e6 * c / hz / (n * s) }') | $(( $(other "$work/noop-$run") + $(other "$work/ingest-$run") )) |"
done
