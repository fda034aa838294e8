#!/usr/bin/env bash
# Where the CPU of one relayed Oblivious HTTP request goes: `perf record` on the collector (gateway) and on
# `candor relay` while wrk sends a file of freshly encapsulated requests through both, once each
# (bench/wrk/ohttp.lua with OHTTP_ONCE=1), then a breakdown by part for each process
# (bench/profile-ohttp.py: each sample goes to the first part whose frames appear in its stack).
# The runtime writes perf maps (DOTNET_PerfMapEnabled) and jits everything fully optimized at once
# (TieredCompilation and ReadyToRun off) so that every managed frame has a name and no JIT work
# lands in the window; so the absolute CPU differs a little from bench/run-ohttp.sh, the shares do not.
# Usage: bench/profile-ohttp.sh [batch|split=batch] [requests=4000] [seconds=25]   (needs perf, wrk)
# BENCH_CLI=/path/to/candor.dll profiles another build. Ports: CANDOR_BENCH_PORT (default 18641) and the next.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-batch}; count=${2:-4000}; seconds=${3:-25}
port=${CANDOR_BENCH_PORT:-18641}; relay_port=$((port + 1))
for tool in perf wrk python3; do command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }; done
dotnet build -c Release src/Candor.Cli -v q -nologo >/dev/null
dotnet build -c Release bench/Candor.Benchmarks -v q -nologo >/dev/null
work=$(mktemp -d)
server=; relay=
trap 'kill $server $relay 2>/dev/null || true; wait $server $relay 2>/dev/null || true; rm -rf "$work"' EXIT
export CANDOR_RateLimitPerAddressPerSecond=0 DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_TieredCompilation=0 DOTNET_ReadyToRun=0
candor="dotnet ${BENCH_CLI:-src/Candor.Cli/bin/Release/net10.0/candor.dll}"
$candor serve --db "$work/candor.db" --urls "http://127.0.0.1:$port" --ohttp-keys "$work/keys.json" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
$candor relay --gateway "http://127.0.0.1:$port/.well-known/ohttp-gateway" --urls "http://127.0.0.1:$relay_port" > "$work/relay.log" 2>&1 &
relay=$!
for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$relay_port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
keys=$($candor ohttp keys --file "$work/keys.json" 2>/dev/null)
split=; [ "$kind" = split ] && split=split
generator=bench/Candor.Benchmarks/bin/Release/net10.0/Candor.Benchmarks.dll
dotnet $generator ohttp-requests "$keys" 3000 "$work/warm.hex" $split
dotnet $generator ohttp-requests "$keys" "$count" "$work/run.hex" $split
echo "== warm-up (20 s, not profiled)"
OHTTP_REQUESTS="$work/warm.hex" OHTTP_PATH=/ wrk -t1 -c64 -d20s -s bench/wrk/ohttp.lua "http://127.0.0.1:$relay_port" >/dev/null
echo "== profiling $count $kind requests through relay + gateway ($seconds s)"
perf record -F 1999 -g -p "$server" -o "$work/gateway.data" -- sleep "$seconds" > "$work/perf-gateway.log" 2>&1 &
p1=$!
perf record -F 1999 -g -p "$relay" -o "$work/relay.data" -- sleep "$seconds" > "$work/perf-relay.log" 2>&1 &
p2=$!
OHTTP_ONCE=1 OHTTP_REQUESTS="$work/run.hex" OHTTP_PATH=/ wrk -t1 -c64 -d"${seconds}s" -s bench/wrk/ohttp.lua "http://127.0.0.1:$relay_port" | grep -E 'requests in|answers'
wait $p1 $p2 || true
for side in gateway relay; do
  echo "== $side (samples at 1999 Hz; CPU-ms per request = samples / 1.999 / requests)"
  perf script -i "$work/$side.data" 2>/dev/null | python3 bench/profile-ohttp.py "$side"
done
