#!/usr/bin/env bash
# Oblivious HTTP benchmark on SQLite, in one run against one Release collector on 127.0.0.1:
#   1. batches of 16 reports POSTed directly (plain JSON, bench/wrk/ingest.lua), the baseline;
#   2. the same kind of batches, each freshly encapsulated, POSTed to the gateway directly;
#   3. the same through `candor relay` (relay -> gateway -> store);
#   4. split uploads through relay and gateway: one report per encapsulated request, cut from such
#      batches by the client library's ReportSplitter;
# then a summary: requests/s, reports/s and the reports actually stored by each run.
# Every measured run has its own file of requests, so none of them is a replay of another's.
# Usage: bench/run-ohttp.sh [seconds=10] [connections=256] [requests per file=60000]
# Ports: CANDOR_BENCH_PORT (default 18583) for the collector, the next one for the relay.
set -euo pipefail
export CANDOR_RateLimitPerAddressPerSecond=0 # wrk sends from one address
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
candor="dotnet src/Candor.Cli/bin/Release/net10.0/candor.dll"
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

stored() { sleep 1; sqlite3 "$work/candor.db" "SELECT coalesce(sum(reports), 0) FROM raw_reports;"; }
rate() { grep -o 'Requests/sec: *[0-9.]*' "$1" | awk '{print $2}'; }

echo "== warm-up (3 s each, not counted)"
wrk -t1 -c"$connections" -d3s -s bench/wrk/ingest.lua "http://127.0.0.1:$port" >/dev/null
OHTTP_REQUESTS="$work/warm.hex" OHTTP_PATH=/.well-known/ohttp-gateway wrk -t1 -c"$connections" -d3s -s bench/wrk/ohttp.lua "http://127.0.0.1:$port" >/dev/null
OHTTP_REQUESTS="$work/warm.hex" OHTTP_PATH=/ wrk -t1 -c"$connections" -d3s -s bench/wrk/ohttp.lua "http://127.0.0.1:$relay_port" >/dev/null

s0=$(stored)
echo "== direct: wrk -t1 -c$connections -d${seconds}s -s bench/wrk/ingest.lua (POST /v1/apps/org.example.editor/reports)"
wrk -t1 -c"$connections" -d"${seconds}s" -s bench/wrk/ingest.lua "http://127.0.0.1:$port" | tee "$work/direct.out"
s1=$(stored)

echo "== gateway only: OHTTP_PATH=/.well-known/ohttp-gateway wrk -t1 -c$connections -d${seconds}s -s bench/wrk/ohttp.lua"
OHTTP_REQUESTS="$work/gateway.hex" OHTTP_PATH=/.well-known/ohttp-gateway wrk -t1 -c"$connections" -d"${seconds}s" -s bench/wrk/ohttp.lua "http://127.0.0.1:$port" | tee "$work/gateway.out"
s2=$(stored)

echo "== relay + gateway: OHTTP_PATH=/ wrk -t1 -c$connections -d${seconds}s -s bench/wrk/ohttp.lua (to candor relay)"
OHTTP_REQUESTS="$work/relay.hex" OHTTP_PATH=/ wrk -t1 -c"$connections" -d"${seconds}s" -s bench/wrk/ohttp.lua "http://127.0.0.1:$relay_port" | tee "$work/relay.out"
s3=$(stored)

echo "== split uploads, relay + gateway: the same, one report per request"
OHTTP_REQUESTS="$work/split.hex" OHTTP_PATH=/ wrk -t1 -c"$connections" -d"${seconds}s" -s bench/wrk/ohttp.lua "http://127.0.0.1:$relay_port" | tee "$work/split.out"
s4=$(stored)

echo
echo "== summary ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end)"
printf '%-36s %12s %10s %12s %16s\n' path requests/s reports/req reports/s "reports stored"
row() { # label out-file reports-per-request stored-before stored-after
  local r; r=$(rate "$2")
  printf '%-36s %12.0f %10d %12.0f %16d\n' "$1" "$r" "$3" "$(awk -v r="$r" -v n="$3" 'BEGIN{print r*n}')" "$(($5 - $4))"
}
row "direct (plain JSON batches)" "$work/direct.out" 16 "$s0" "$s1"
row "encapsulated, gateway only" "$work/gateway.out" 16 "$s1" "$s2"
row "encapsulated, relay + gateway" "$work/relay.out" 16 "$s2" "$s3"
row "split uploads, relay + gateway" "$work/split.out" 1 "$s3" "$s4"
echo "(a run that needs more requests than its file holds starts the file over: such replays are opened and"
echo " dispatched in full but store nothing, so 'reports stored' falls below reports/s x seconds)"
