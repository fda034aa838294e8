#!/usr/bin/env bash
# Two builds (or two settings) of the collector under the ingest-shape load (bench/run-ingest-shape.sh)
# measured AT THE SAME TIME: each serves its own SQLite file and is loaded by its own wrk with
# bench/wrk/ingest-shape.lua, the no-op parts of both together, then the ingest parts of both together.
# Both see the same load from whatever else runs on the machine, so their CPU per request compares where
# two runs one after the other cannot (on a shared 2-core machine two runs of one build differ by a third).
# Each part: per build the rate, and the collector's CPU (utime + stime) per answered request.
# Usage: CLI_A=/path/a/candor.dll CLI_B=/path/b/candor.dll [ENV_A="X=1"] [ENV_B="Y=2"]
#        [SECS=10] [RUNS=2] [WARM=15] [THREADS=1] [CONNECTIONS=64] bench/ab-ingest-shape.sh
# THREADS/CONNECTIONS are per wrk (one wrk per build): the defaults give each collector the 64 connections of
# the ordinary-concurrency shape (its group sizes) and the machine the two load threads of that shape.
# ENV_A/ENV_B: environment for that build's collector (one VAR=value). Ports: CANDOR_BENCH_PORT (A) and
# CANDOR_BENCH_PORT_B (B, default CANDOR_BENCH_PORT + 100); the operator listeners take free ports.
set -euo pipefail
cd "$(dirname "$0")/.."
# wrk sends everything from one address: turn the per-address limit off for the measurement.
export CANDOR_RateLimitPerAddressPerSecond=0 CANDOR_Transparency__Enabled=false
secs=${SECS:-10}; runs=${RUNS:-2}; threads=${THREADS:-1}; connections=${CONNECTIONS:-64}
port_a=${CANDOR_BENCH_PORT:-5491}; port_b=${CANDOR_BENCH_PORT_B:-$((port_a + 100))}
cli_a=${CLI_A:-src/Candor.Cli/bin/Release/net10.0/candor.dll}; cli_b=${CLI_B:-$cli_a}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }
[ -z "${CLI_A:-}" ] && dotnet build -c Release src/Candor.Cli -v q -nologo >/dev/null
for cli in "$cli_a" "$cli_b"; do [ -f "$cli" ] || { echo "no build at $cli" >&2; exit 1; }; done

start() { # work cli port env
  env "$4" dotnet "$2" serve --db "$1/candor.db" --urls "http://127.0.0.1:$3" --operator-urls http://127.0.0.1:0 \
    > "$1/server.log" 2>&1 & echo $! > "$1/server.pid"
  for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$3/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fs "http://127.0.0.1:$3/healthz" >/dev/null || { echo "the collector at port $3 did not start:" >&2; cat "$1/server.log" >&2; exit 1; }
}
cpu() { awk '{print $14 + $15}' "/proc/$(cat "$1/server.pid")/stat"; } # clock ticks
stored() { sqlite3 "$1/candor.db" "SELECT coalesce(sum(reports), 0) FROM raw_reports;"; }
load() { # work port mode seconds out
  MODE=$3 wrk -t"$threads" -c"$connections" -d"$4s" -s bench/wrk/ingest-shape.lua "http://127.0.0.1:$2" > "$1/$5"
}
requests() { grep -o '[0-9]* requests in' "$1" | cut -d' ' -f1; }
non2xx() { awk '/^answers:/ { print $5 }' "$1"; }
tick=$(getconf CLK_TCK)
us() { awk -v c="$1" -v t="$tick" -v n="$2" 'BEGIN { printf "%.0f", (n > 0) ? c / t / n * 1e6 : 0 }'; }

a=$(mktemp -d); b=$(mktemp -d)
trap 'for w in $a $b; do [ -f $w/server.pid ] && kill $(cat $w/server.pid) 2>/dev/null || true; done; sleep 1; rm -rf $a $b' EXIT
start "$a" "$cli_a" "$port_a" "${ENV_A:-AB_BUILD=a}" & start "$b" "$cli_b" "$port_b" "${ENV_B:-AB_BUILD=b}" & wait
# part <mode> <run>: both builds loaded at once; prints "<requests A> <cpu A> <non-2xx A> <requests B> <cpu B> <non-2xx B>".
part() {
  local ca0 cb0
  ca0=$(cpu "$a"); cb0=$(cpu "$b")
  load "$a" "$port_a" "$1" "$secs" "$1-$2.txt" & load "$b" "$port_b" "$1" "$secs" "$1-$2.txt" & wait
  [ "$1" = ingest ] && sleep 0.5 # the last groups' answers and the quiet fold
  echo "$(requests "$a/$1-$2.txt") $(($(cpu "$a") - ca0)) $(non2xx "$a/$1-$2.txt") $(requests "$b/$1-$2.txt") $(($(cpu "$b") - cb0)) $(non2xx "$b/$1-$2.txt")"
}
load "$a" "$port_a" ingest "${WARM:-15}" warm.txt & load "$b" "$port_b" ingest "${WARM:-15}" warm.txt & wait # warm-up (JIT tiers), not counted

echo "A: $cli_a ${ENV_A:-}"
echo "B: $cli_b ${ENV_B:-}"
echo "both loaded at once, wrk -t$threads -c$connections each, ${secs} s per part, $runs runs"
echo
echo "| run | build | no-op req/s | ingest req/s | ingest / no-op | reports stored/s | CPU µs / no-op | CPU µs / ingest | non-2xx |"
echo "|---|---|---|---|---|---|---|---|---|"
for run in $(seq 1 "$runs"); do
  read -r na nca nxa nb ncb nxb < <(part noop "$run")
  sa0=$(stored "$a"); sb0=$(stored "$b")
  read -r ia ica ixa ib icb ixb < <(part ingest "$run")
  sa=$(( ($(stored "$a") - sa0) / secs )); sb=$(( ($(stored "$b") - sb0) / secs ))
  for row in "A $na $nca $ia $ica $sa $((nxa + ixa))" "B $nb $ncb $ib $icb $sb $((nxb + ixb))"; do
    read -r label n nc i ic s bad <<< "$row"
    echo "| $run | $label | $((n / secs)) | $((i / secs)) | $(awk -v i="$i" -v n="$n" 'BEGIN { printf "%.2f", i / n }') | $s | $(us "$nc" "$n") | $(us "$ic" "$i") | $bad |"
  done
done
echo
echo "(load average $(cut -d' ' -f1-3 /proc/loadavg) at the end)"
