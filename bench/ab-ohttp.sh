#!/usr/bin/env bash
# Two builds (or two settings) of collector + `candor relay` measured AT THE SAME TIME, each pair with its
# own wrk, its own freshly encapsulated requests and its own SQLite file: both see the same load from
# whatever else runs on the machine, so their CPU per relayed request compares where two runs one after
# the other cannot (on a loaded 2-core machine two runs of one build differ by a third, docs/benchmarks.md).
# Each wrk sends its file once (OHTTP_ONCE=1, 64 connections) after a 15 s warm-up; the summary is the
# CPU (utime + stime) the collector and the relay of each pair spent per answered request.
# Usage: CLI_A=/path/a/candor.dll CLI_B=/path/b/candor.dll [ENV_A="X=1"] [ENV_B="DOTNET_gcServer=0"]
#        [COUNT=15000] [SECS=40] [SPLIT=split] bench/ab-ohttp.sh
# ENV_A/ENV_B: environment for both processes of that pair (one VAR=value). Ports: CANDOR_BENCH_PORT and
# the next for pair A, CANDOR_BENCH_PORT_B (default CANDOR_BENCH_PORT + 10000) and the next for pair B;
# the operator listeners take free ports.
set -euo pipefail
cd "$(dirname "$0")/.."
export CANDOR_RateLimitPerAddressPerSecond=0 # each wrk sends from one address
count=${COUNT:-15000}; secs=${SECS:-40}
port_a=${CANDOR_BENCH_PORT:-18583}; port_b=${CANDOR_BENCH_PORT_B:-$((port_a + 10000))}
cli_a=${CLI_A:-src/Candor.Cli/bin/Release/net10.0/candor.dll}; cli_b=${CLI_B:-$cli_a}
generator=bench/Candor.Benchmarks/bin/Release/net10.0/Candor.Benchmarks.dll
dotnet build -c Release bench/Candor.Benchmarks -v q -nologo >/dev/null
[ -z "${CLI_A:-}" ] && dotnet build -c Release src/Candor.Cli -v q -nologo >/dev/null

start_pair() { # work cli port env
  local work=$1 candor="dotnet $2" port=$3 env=$4 relay_port=$(($3 + 1))
  env "$env" $candor serve --db "$work/candor.db" --urls "http://127.0.0.1:$port" --operator-urls http://127.0.0.1:0 \
    --ohttp-keys "$work/keys.json" > "$work/server.log" 2>&1 & echo $! > "$work/server.pid"
  for _ in $(seq 1 150); do grep -q "Now listening on: http://127.0.0.1:$port" "$work/server.log" 2>/dev/null && break; sleep 0.2; done
  env "$env" $candor relay --gateway "http://127.0.0.1:$port/.well-known/ohttp-gateway" --urls "http://127.0.0.1:$relay_port" \
    --operator-urls http://127.0.0.1:0 > "$work/relay.log" 2>&1 & echo $! > "$work/relay.pid"
  for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$relay_port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  local keys; keys=$($candor ohttp keys --file "$work/keys.json" 2>/dev/null)
  dotnet $generator ohttp-requests "$keys" 5000 "$work/warm.hex" ${SPLIT:-} >/dev/null
  dotnet $generator ohttp-requests "$keys" "$count" "$work/run.hex" ${SPLIT:-} >/dev/null
}
cpu() { awk '{print $14 + $15}' "/proc/$(cat "$1")/stat"; } # clock ticks
measure_pair() { # work relay-port label
  local work=$1 relay_port=$2 s0 r0 n tick; tick=$(getconf CLK_TCK)
  OHTTP_REQUESTS="$work/warm.hex" OHTTP_PATH=/ wrk -t1 -c64 -d15s -s bench/wrk/ohttp.lua "http://127.0.0.1:$relay_port" >/dev/null
  s0=$(cpu "$work/server.pid"); r0=$(cpu "$work/relay.pid")
  OHTTP_ONCE=1 OHTTP_REQUESTS="$work/run.hex" OHTTP_PATH=/ wrk -t1 -c64 -d"${secs}s" -s bench/wrk/ohttp.lua "http://127.0.0.1:$relay_port" > "$work/wrk.out"
  sleep 0.5
  n=$(grep -o '[0-9]* requests in' "$work/wrk.out" | cut -d' ' -f1)
  printf '%-60s %7d answered; CPU-us per request: collector %6.1f, relay %6.1f (%s)\n' "$3" "$n" \
    "$(awk -v c=$(($(cpu "$work/server.pid") - s0)) -v t="$tick" -v n="$n" 'BEGIN{print c / t / n * 1e6}')" \
    "$(awk -v c=$(($(cpu "$work/relay.pid") - r0)) -v t="$tick" -v n="$n" 'BEGIN{print c / t / n * 1e6}')" "$(grep -o 'answers:.*' "$work/wrk.out")"
}
a=$(mktemp -d); b=$(mktemp -d)
trap 'for w in $a $b; do kill $(cat $w/server.pid $w/relay.pid 2>/dev/null) 2>/dev/null || true; done; sleep 1; rm -rf $a $b' EXIT
start_pair "$a" "$cli_a" "$port_a" "${ENV_A:-AB_PAIR=a}" & start_pair "$b" "$cli_b" "$port_b" "${ENV_B:-AB_PAIR=b}" & wait
measure_pair "$a" $((port_a + 1)) "A: $cli_a ${ENV_A:-}" & measure_pair "$b" $((port_b + 1)) "B: $cli_b ${ENV_B:-}" & wait
echo "(both pairs at once, ${count} ${SPLIT:-batch} requests each; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end)"
