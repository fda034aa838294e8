#!/usr/bin/env bash
# Where the collector's CPU goes under the ingest-shape load (bench/run-ingest-shape.sh: wrk -t2 -c64,
# batches of 16 distinct reports over 4 past weeks): `perf record` on the collector while wrk posts, then a
# breakdown by part (bench/profile-ingest.py: each sample goes to the part of the frame nearest its leaf
# that matches one): HTTP/Kestrel, reading and validation, queue hand-off, storage (Candor, managed binding,
# native SQLite), fsync, the 202, runtime.
# The runtime writes perf maps (DOTNET_PerfMapEnabled) and jits everything fully optimized at once
# (TieredCompilation and ReadyToRun off) so that every managed frame has a name and no JIT work lands in the
# window; so the absolute CPU differs a little from bench/run-ingest-shape.sh, the shares do not.
# Usage: bench/profile-ingest.sh [seconds=20]   (needs perf, wrk, python3)
#   ENGINE=sqlite (default) or ENGINE=postgres (a throwaway cluster on CANDOR_BENCH_PG_PORT, fsync on).
#   PERF_SCRIPT_OUT=file keeps the `perf script` text for a closer look. BENCH_CLI=/path/to/candor.dll profiles another build. Port: CANDOR_BENCH_PORT (default 18651).
set -euo pipefail
export CANDOR_RateLimitPerAddressPerSecond=0 CANDOR_Transparency__Enabled=false
cd "$(dirname "$0")/.."
seconds=${1:-20}; engine=${ENGINE:-sqlite}
port=${CANDOR_BENCH_PORT:-18651}
for tool in perf wrk python3; do command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }; done
dotnet build -c Release src/Candor.Cli -v q -nologo >/dev/null
work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
  [ "$engine" = postgres ] && scripts/test-postgres.sh stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
if [ "$engine" = postgres ]; then
  export CANDOR_TEST_PG_PORT=${CANDOR_BENCH_PG_PORT:-54349} CANDOR_TEST_PG_DIR=${CANDOR_BENCH_PG_DIR:-/tmp/candor-bench-postgres} CANDOR_TEST_PG_FSYNC=on
  scripts/test-postgres.sh start >/dev/null
  psql -qtA -h 127.0.0.1 -p "$CANDOR_TEST_PG_PORT" -U postgres -d postgres -c "DROP DATABASE IF EXISTS candor_profile WITH (FORCE);" -c "CREATE DATABASE candor_profile;" >/dev/null
  db="Host=127.0.0.1;Port=$CANDOR_TEST_PG_PORT;Username=postgres;Database=candor_profile;Maximum Pool Size=20"
else
  db="$work/candor.db"
fi
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_TieredCompilation=0 DOTNET_ReadyToRun=0
dotnet "${BENCH_CLI:-src/Candor.Cli/bin/Release/net10.0/candor.dll}" serve --db "$db" --urls "http://127.0.0.1:$port" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
echo "== warm-up (10 s, not profiled)"
MODE=ingest wrk -t2 -c64 -d10s -s bench/wrk/ingest-shape.lua "http://127.0.0.1:$port" >/dev/null
echo "== profiling the collector ($engine) under wrk -t2 -c64 ingest for $seconds s"
perf record -F 1999 -g -p "$server" -o "$work/collector.data" -- sleep "$seconds" > "$work/perf.log" 2>&1 &
p=$!
MODE=ingest wrk -t2 -c64 -d"${seconds}s" -s bench/wrk/ingest-shape.lua "http://127.0.0.1:$port" | grep -E 'requests in|Requests/sec|answers'
wait $p || true
perf script -i "$work/collector.data" 2>/dev/null > "$work/collector.txt"
python3 bench/profile-ingest.py < "$work/collector.txt"
[ -n "${PERF_SCRIPT_OUT:-}" ] && cp "$work/collector.txt" "$PERF_SCRIPT_OUT"
true
