#!/usr/bin/env bash
# Split-trust aggregation benchmark (docs/dap.md): a Candor Leader and a Candor Helper (`candor serve
# --dap`, each on its own database) serve a Count task and a Histogram(16) task. For each task,
# `Candor.Benchmarks dap-load` builds N reports with Candor's own Prio3 sharding and HPKE sealing (not
# timed), uploads them to the Leader over C concurrent connections (uploaded/s), then starts a collection
# job and polls it: the Leader runs every aggregation job with the Helper before it answers, so the time
# to the Collection is the time both aggregators need to prepare, verify and add every report
# (aggregated/s). The aggregate is checked against the exact sum. Background aggregation is set to once a
# day so that it never runs during the upload. Last, the plain ingest rate of the same build on the same
# machine, from bench/run-ingest-shape.sh (one 10 s run), for comparison.
# Usage: bench/run-dap.sh [reports=20000] [connections=32]
#   ENGINE=sqlite (default) or ENGINE=postgres (one throwaway cluster, fsync on, a database per aggregator).
#   NO_INGEST=1 skips the plain ingest figure. Ports: CANDOR_BENCH_PORT (default 5283) and the next one.
set -euo pipefail
export CANDOR_RateLimitPerAddressPerSecond=0 CANDOR_Transparency__Enabled=false CANDOR_DapAggregationIntervalSeconds=86400
cd "$(dirname "$0")/.."
reports=${1:-20000}; connections=${2:-32}
engine=${ENGINE:-sqlite}
leader_port=${CANDOR_BENCH_PORT:-5283}; helper_port=$((leader_port + 1))
command -v jq >/dev/null || { echo "needs jq (apt-get install jq)" >&2; exit 1; }

dotnet build -c Release src/Candor.Cli -v q -nologo >/dev/null
dotnet build -c Release bench/Candor.Benchmarks -v q -nologo >/dev/null
candor="dotnet src/Candor.Cli/bin/Release/net10.0/candor.dll"
work=$(mktemp -d)
servers=()
cleanup() {
  for s in "${servers[@]}"; do kill "$s" 2>/dev/null || true; wait "$s" 2>/dev/null || true; done
  [ "$engine" = postgres ] && scripts/test-postgres.sh stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

case "$engine" in
  sqlite) leader_db="$work/leader.db"; helper_db="$work/helper.db" ;;
  postgres)
    command -v psql >/dev/null || { echo "needs psql (apt-get install postgresql)" >&2; exit 1; }
    export CANDOR_TEST_PG_PORT=${CANDOR_BENCH_PG_PORT:-54350} CANDOR_TEST_PG_DIR=${CANDOR_BENCH_PG_DIR:-/tmp/candor-bench-dap-postgres} CANDOR_TEST_PG_FSYNC=on
    scripts/test-postgres.sh start >/dev/null
    for d in dap_leader dap_helper; do
      psql -qtA -h 127.0.0.1 -p "$CANDOR_TEST_PG_PORT" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $d WITH (FORCE);" -c "CREATE DATABASE $d;" >/dev/null
    done
    leader_db="Host=127.0.0.1;Port=$CANDOR_TEST_PG_PORT;Username=postgres;Database=dap_leader"
    helper_db="Host=127.0.0.1;Port=$CANDOR_TEST_PG_PORT;Username=postgres;Database=dap_helper" ;;
  *) echo "ENGINE is sqlite or postgres" >&2; exit 1 ;;
esac

# One task per VDAF, and one more of each for the warm-up (a collected batch takes no more reports), all in
# each aggregator's task file.
vdafs=(count histogram16)
specs=('{"type":"count"}' '{"type":"histogram","length":16,"chunkLength":4}')
for i in 0 1; do
  for prefix in "" warm-; do
    $candor dap task --leader "http://127.0.0.1:$leader_port/" --helper "http://127.0.0.1:$helper_port/" --vdaf "${specs[$i]}" \
      --time-precision 3600 --min-batch-size 100 --out "$work/$prefix${vdafs[$i]}" >/dev/null
  done
done
jq -s '{tasks: map(.tasks[])}' "$work"/*/leader-tasks.json > "$work/leader.json"
jq -s '{tasks: map(.tasks[])}' "$work"/*/helper-tasks.json > "$work/helper.json"

start() { # name db port tasks
  $candor serve --db "$2" --urls "http://127.0.0.1:$3" --operator-urls "http://127.0.0.1:$(($3 + 100))" --dap "$4" > "$work/$1.log" 2>&1 &
  servers+=($!)
  for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$3/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
}
start helper "$helper_db" "$helper_port" "$work/helper.json"; helper_pid=${servers[0]}
start leader "$leader_db" "$leader_port" "$work/leader.json"; leader_pid=${servers[1]}

load="dotnet bench/Candor.Benchmarks/bin/Release/net10.0/Candor.Benchmarks.dll dap-load"
echo "== warm-up: 2,000 reports of each VDAF through both aggregators, on tasks of their own (not counted)"
for v in "${vdafs[@]}"; do $load "$work/warm-$v" 2000 "$connections" > "$work/warm-$v.txt"; done
echo "== engine $engine, $reports reports per task, $connections connections, $(nproc) cores"
results=()
for v in "${vdafs[@]}"; do
  echo "-- $v"
  $load "$work/$v" "$reports" "$connections" "$leader_pid" "$helper_pid" | tee "$work/$v.txt"
  results+=("$(grep '^RESULT' "$work/$v.txt")")
done

ingest=
if [ "${NO_INGEST:-0}" != 1 ]; then
  echo "-- plain ingest (bench/run-ingest-shape.sh 10 1, SQLite, same build)"
  CANDOR_BENCH_PORT=$((leader_port + 10)) bench/run-ingest-shape.sh 10 1 | tee "$work/ingest.txt"
  ingest=$(awk -F'|' '/^\| 1 \|/ { gsub(/ /, "", $6); print $6 }' "$work/ingest.txt")
fi

echo
echo "== summary (load average $(cut -d' ' -f1-3 /proc/loadavg) at the end)"
echo "| VDAF | reports | uploaded/s | aggregated/s (Leader + Helper) | Leader CPU-s per 1k (upload / aggregate) | Helper CPU-s per 1k (aggregate) |"
echo "|---|---:|---:|---:|---:|---:|"
for r in "${results[@]}"; do
  get() { echo "$r" | grep -o "$1=[0-9.]*" | head -1 | cut -d= -f2; }
  up_l=$(echo "$r" | grep -o 'upload_cpu_s_per_1k: leader=[0-9.]*' | cut -d= -f2)
  ag_l=$(echo "$r" | grep -o 'aggregate_cpu_s_per_1k: leader=[0-9.]*' | cut -d= -f2)
  ag_h=$(echo "$r" | grep -o 'aggregate_cpu_s_per_1k: leader=[0-9.]* helper=[0-9.]*' | grep -o 'helper=[0-9.]*' | cut -d= -f2)
  echo "| $(echo "$r" | awk '{print $2}') | $(get reports) | $(get uploaded_per_s) | $(get aggregated_per_s) | $up_l / $ag_l | $ag_h |"
done
[ -n "$ingest" ] && echo "| plain ingest (JSON batches of 16, reports stored/s) | | $ingest | | | |"
