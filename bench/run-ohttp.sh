#!/usr/bin/env bash
# Oblivious HTTP benchmark on SQLite, in one run against one Release collector on 127.0.0.1:
#   1. batches POSTed directly (plain JSON, bench/wrk/ingest.lua), the baseline;
#   2. the same kind of batches, each freshly encapsulated, POSTed to the gateway directly;
#   3. the same encapsulated requests through `candor relay` (relay -> gateway -> store);
# then a count of the reports actually stored.
# Usage: bench/run-ohttp.sh [seconds=10] [connections=256] [requests in the file=60000]
set -euo pipefail
export CANDOR_RateLimitPerAddressPerSecond=0 # wrk sends from one address
cd "$(dirname "$0")/.."
seconds=${1:-10}; connections=${2:-256}; count=${3:-60000}
port=5183; relay_port=5184
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }

dotnet build -c Release src/Candor.Cli -v q -nologo >/dev/null
dotnet build -c Release bench/Candor.Benchmarks -v q -nologo >/dev/null
work=$(mktemp -d)
trap 'kill $server $relay 2>/dev/null || true; wait $server $relay 2>/dev/null || true; rm -rf "$work"' EXIT
candor="dotnet src/Candor.Cli/bin/Release/net10.0/candor.dll"
$candor serve --db "$work/candor.db" --urls "http://127.0.0.1:$port" --ohttp-keys "$work/keys.json" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
$candor relay --gateway "http://127.0.0.1:$port/.well-known/ohttp-gateway" --urls "http://127.0.0.1:$relay_port" > "$work/relay.log" 2>&1 &
relay=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$relay_port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

keys=$($candor ohttp keys --file "$work/keys.json" 2>/dev/null)
echo "== encapsulating $count requests (one fresh HPKE context each)"
start=$(date +%s.%N)
dotnet bench/Candor.Benchmarks/bin/Release/net10.0/Candor.Benchmarks.dll ohttp-requests "$keys" "$count" "$work/requests.hex"
echo "   took $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s (client-side encapsulation, one thread)"
export OHTTP_REQUESTS="$work/requests.hex"

stored() { sqlite3 "$work/candor.db" "SELECT coalesce(sum(reports), 0) FROM raw_reports;"; }

echo "== warm-up (3 s each, not counted)"
wrk -t1 -c"$connections" -d3s -s bench/wrk/ingest.lua "http://127.0.0.1:$port" >/dev/null
OHTTP_PATH=/.well-known/ohttp-gateway wrk -t1 -c"$connections" -d3s -s bench/wrk/ohttp.lua "http://127.0.0.1:$port" >/dev/null
OHTTP_PATH=/ wrk -t1 -c"$connections" -d3s -s bench/wrk/ohttp.lua "http://127.0.0.1:$relay_port" >/dev/null

echo "== direct: wrk -t1 -c$connections -d${seconds}s -s bench/wrk/ingest.lua (POST /v1/apps/org.example.editor/reports)"
wrk -t1 -c"$connections" -d"${seconds}s" -s bench/wrk/ingest.lua "http://127.0.0.1:$port"

before=$(stored)
echo "== gateway only: OHTTP_PATH=/.well-known/ohttp-gateway wrk -t1 -c$connections -d${seconds}s -s bench/wrk/ohttp.lua"
OHTTP_PATH=/.well-known/ohttp-gateway wrk -t1 -c"$connections" -d"${seconds}s" -s bench/wrk/ohttp.lua "http://127.0.0.1:$port"
middle=$(stored)
echo "   reports stored: $((middle - before))"

echo "== relay + gateway: OHTTP_PATH=/ wrk -t1 -c$connections -d${seconds}s -s bench/wrk/ohttp.lua (to candor relay)"
OHTTP_PATH=/ wrk -t1 -c"$connections" -d"${seconds}s" -s bench/wrk/ohttp.lua "http://127.0.0.1:$relay_port"
after=$(stored)
echo "   reports stored: $((after - middle))"
