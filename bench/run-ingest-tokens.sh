#!/usr/bin/env bash
# Ingest with Privacy Pass tokens required versus off, in one run: the same wrk load as run-ingest.sh
# (batches of 16 reports) against a Release collector on SQLite, first with tokens off, then with
# tokens required for org.example.editor, each request carrying its own pre-minted token.
# Usage: bench/run-ingest-tokens.sh [seconds=3] [tokens=40000] [connections=64]
# The run must stay shorter than the tokens last: with tokens required, a request after the last token
# is answered 401 and shows up in "other"; raise the token count or shorten the run if it does.
set -euo pipefail
export CANDOR_RateLimitPerAddressPerSecond=0
cd "$(dirname "$0")/.."
seconds=${1:-3}; count=${2:-40000}; connections=${3:-64}
port=${CANDOR_BENCH_PORT:-5182}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }

dotnet build -c Release src/Candor.Cli -v q -nologo >/dev/null
dotnet build -c Release bench/Candor.Benchmarks -v q -nologo >/dev/null
work=$(mktemp -d)
server=
trap '[ -z "$server" ] || kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

start() { # $1: token mode
  env CANDOR_PrivacyPass__KeyDirectory="$work/keys" CANDOR_PrivacyPass__Issuer=true "CANDOR_Apps__org.example.editor__Tokens=$1" \
    dotnet src/Candor.Cli/bin/Release/net10.0/candor.dll serve --db "$work/candor-$1.db" --urls "http://127.0.0.1:$port" > "$work/server-$1.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
}
stop() { kill $server; wait $server 2>/dev/null || true; server=; }

start Off
echo "== warm-up (3 s, not counted)"
wrk -t1 -c"$connections" -d3s -s bench/wrk/ingest.lua "http://127.0.0.1:$port" >/dev/null
echo "== tokens off: wrk -t1 -c$connections -d${seconds}s -s bench/wrk/ingest.lua"
wrk -t1 -c"$connections" -d"${seconds}s" -s bench/wrk/ingest.lua "http://127.0.0.1:$port"
stop

echo "== minting $count tokens under the issuer's key"
dotnet bench/Candor.Benchmarks/bin/Release/net10.0/Candor.Benchmarks.dll mint-tokens "$work/keys" "$count" "$work/warm.txt"
dotnet bench/Candor.Benchmarks/bin/Release/net10.0/Candor.Benchmarks.dll mint-tokens "$work/keys" "$count" "$work/tokens.txt"
start Required
echo "== warm-up (3 s, not counted)"
TOKENS="$work/warm.txt" wrk -t1 -c"$connections" -d3s -s bench/wrk/ingest.lua "http://127.0.0.1:$port" >/dev/null
echo "== tokens required: TOKENS=<$count tokens> wrk -t1 -c$connections -d${seconds}s -s bench/wrk/ingest.lua"
TOKENS="$work/tokens.txt" wrk -t1 -c"$connections" -d"${seconds}s" -s bench/wrk/ingest.lua "http://127.0.0.1:$port"
stop
