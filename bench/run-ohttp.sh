#!/usr/bin/env bash
# Oblivious HTTP benchmark on SQLite, in one run against one Release collector on 127.0.0.1:
#   1. batches of 16 reports POSTed directly (plain JSON, bench/wrk/ingest.lua), the baseline;
#   2. the same kind of batches, each freshly encapsulated, POSTed to the gateway directly;
#   3. the same through `candor relay` (relay -> gateway -> store);
#   4. split uploads through relay and gateway: one report per encapsulated request, cut from such
#      batches by the client library's ReportSplitter;
# then a summary: requests/s, reports/s, the reports actually stored by each run, and the CPU time the
# collector (gateway) and the relay each spent per 1,000 requests (utime + stime from /proc/<pid>/stat,
# read before and after each run). CPU per request does not depend on what else loads the machine, so
# it compares two versions on a busy machine where requests/s cannot.
# Every measured run has its own file of requests, so none of them is a replay of another's.
# Usage: bench/run-ohttp.sh [seconds=10] [connections=256] [requests per file=60000]
# ONCE=1: each encapsulated run sends its file once and then idles until its seconds are up, so that no
# request is replayed and CPU per request is exact on a busy machine (its requests/s is then meaningless);
# the warm-ups then last as long as the runs, so that the JIT has settled before anything is counted.
# BENCH_CLI=/path/to/candor.dll measures another build (another commit's) with this script and the same
# request generator, for a before/after comparison.
# Ports: CANDOR_BENCH_PORT (default 18583) for the collector, the next one for the relay.
set -euo pipefail
export CANDOR_RateLimitPerAddressPerSecond=0 # wrk sends from one address
export OHTTP_ONCE=${ONCE:-0}
cd "$(dirname "$0")/.."
seconds=${1:-10}; connections=${2:-256}; count=${3:-60000}
port=${CANDOR_BENCH_PORT:-18583}; relay_port=$((port + 1))
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }

dotnet build -c Release src/Candor.Cli -v q -nologo >/dev/null
dotnet build -c Release bench/Candor.Benchmarks -v q -nologo >/dev/null
work=$(mktemp -d)
server=; relay=
trap 'kill $server $relay 2>/dev/null || true; wait $server $relay 2>/dev/null || true; rm -rf "$work"' EXIT
candor="dotnet ${BENCH_CLI:-src/Candor.Cli/bin/Release/net10.0/candor.dll}"
$candor serve --db "$work/candor.db" --urls "http://127.0.0.1:$port" --ohttp-keys "$work/keys.json" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
$candor relay --gateway "http://127.0.0.1:$port/.well-known/ohttp-gateway" --urls "http://127.0.0.1:$relay_port" > "$work/relay.log" 2>&1 &
relay=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$relay_port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

keys=$($candor ohttp keys --file "$work/keys.json" 2>/dev/null)
make_requests() { # name count [split]
  local start; start=$(date +%s.%N)
  dotnet bench/Candor.Benchmarks/bin/Release/net10.0/Candor.Benchmarks.dll ohttp-requests "$keys" "$2" "$work/$1.hex" ${3:-}
  echo "   $1: $2 requests in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s (client-side encapsulation, one thread)"
}
echo "== encapsulating requests (one fresh HPKE context each)"
make_requests warm 5000
make_requests gateway "$count"
make_requests relay "$count"
make_requests split "$count" split

tick=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime of one process, in clock ticks
measure() { # name: runs the rest of the command line, then writes name.cpu: collector-ticks relay-ticks
  local name=$1; shift
  local s0 r0; s0=$(cpu "$server"); r0=$(cpu "$relay")
  "$@" | tee "$work/$name.out"
  sleep 0.5 # the last answers' work (logging, group commit) finishes after wrk has them
  echo "$(($(cpu "$server") - s0)) $(($(cpu "$relay") - r0))" > "$work/$name.cpu"
}

stored() { sleep 1; sqlite3 "$work/candor.db" "SELECT coalesce(sum(reports), 0) FROM raw_reports;"; }
rate() { grep -o 'Requests/sec: *[0-9.]*' "$1" | awk '{print $2}'; }

warm=3; [ "$OHTTP_ONCE" = 1 ] && warm=$seconds
echo "== warm-up ($warm s each, not counted)"
wrk -t1 -c"$connections" -d"${warm}s" -s bench/wrk/ingest.lua "http://127.0.0.1:$port" >/dev/null
OHTTP_REQUESTS="$work/warm.hex" OHTTP_PATH=/.well-known/ohttp-gateway wrk -t1 -c"$connections" -d"${warm}s" -s bench/wrk/ohttp.lua "http://127.0.0.1:$port" >/dev/null
OHTTP_REQUESTS="$work/warm.hex" OHTTP_PATH=/ wrk -t1 -c"$connections" -d"${warm}s" -s bench/wrk/ohttp.lua "http://127.0.0.1:$relay_port" >/dev/null

s0=$(stored)
echo "== direct: wrk -t1 -c$connections -d${seconds}s -s bench/wrk/ingest.lua (POST /v1/apps/org.example.editor/reports)"
measure direct wrk -t1 -c"$connections" -d"${seconds}s" -s bench/wrk/ingest.lua "http://127.0.0.1:$port"
s1=$(stored)

echo "== gateway only: OHTTP_PATH=/.well-known/ohttp-gateway wrk -t1 -c$connections -d${seconds}s -s bench/wrk/ohttp.lua"
OHTTP_REQUESTS="$work/gateway.hex" OHTTP_PATH=/.well-known/ohttp-gateway measure gateway wrk -t1 -c"$connections" -d"${seconds}s" -s bench/wrk/ohttp.lua "http://127.0.0.1:$port"
s2=$(stored)

echo "== relay + gateway: OHTTP_PATH=/ wrk -t1 -c$connections -d${seconds}s -s bench/wrk/ohttp.lua (to candor relay)"
OHTTP_REQUESTS="$work/relay.hex" OHTTP_PATH=/ measure relay wrk -t1 -c"$connections" -d"${seconds}s" -s bench/wrk/ohttp.lua "http://127.0.0.1:$relay_port"
s3=$(stored)

echo "== split uploads, relay + gateway: the same, one report per request"
OHTTP_REQUESTS="$work/split.hex" OHTTP_PATH=/ measure split wrk -t1 -c"$connections" -d"${seconds}s" -s bench/wrk/ohttp.lua "http://127.0.0.1:$relay_port"
s4=$(stored)

echo
echo "== summary ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end)"
printf '%-32s %10s %8s %10s %9s %9s %15s %11s\n' path requests/s reports/ reports/s reports requests "collector CPU-s" "relay CPU-s"
printf '%-32s %10s %8s %10s %9s %9s %15s %11s\n' "" "" request "" stored answered "per 1k requests" "per 1k req"
row() { # name label reports-per-request stored-before stored-after
  local r n; r=$(rate "$work/$1.out"); n=$(grep -o '[0-9]* requests in' "$work/$1.out" | awk '{print $1}')
  read -r sc rc < "$work/$1.cpu"
  printf '%-32s %10.0f %8d %10.0f %9d %9d %15.3f %11.3f\n' "$2" "$r" "$3" "$(awk -v r="$r" -v n="$3" 'BEGIN{print r*n}')" "$(($5 - $4))" "$n" \
    "$(awk -v c="$sc" -v t="$tick" -v n="$n" 'BEGIN{print c / t / n * 1000}')" "$(awk -v c="$rc" -v t="$tick" -v n="$n" 'BEGIN{print c / t / n * 1000}')"
}
row direct "direct (plain JSON batches)" 16 "$s0" "$s1"
row gateway "encapsulated, gateway only" 16 "$s1" "$s2"
row relay "encapsulated, relay + gateway" 16 "$s2" "$s3"
row split "split uploads, relay + gateway" 1 "$s3" "$s4"
echo "(CPU-s per 1k requests: the process's utime + stime over the run, divided by the requests wrk had answered."
echo " Without ONCE=1 a run that needs more requests than its file holds starts the file over: such replays are"
echo " opened and dispatched in full but store nothing, so 'reports stored' falls below reports/s x seconds)"
