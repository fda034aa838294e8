#!/usr/bin/env bash
# Ingest benchmark on SQLite: GET /healthz (the no-op baseline) and POST batches of 16 reports, in one
# run against one Release collector on 127.0.0.1, then a count of the rows actually stored.
# Usage: bench/run-ingest.sh [seconds=20] [connections=512] [wrk threads=1]
# TRANSPARENCY=ignored: commitments are sent but the collector's log is off.
# TRANSPARENCY=on: every report carries a fresh commitment and the log seals an epoch every 10 s during
# the run (EPOCH_SECONDS to change it; docs/transparency.md); off (the default): the log is turned off and batches carry none.
set -euo pipefail
case "${TRANSPARENCY:-off}" in
  on) export COMMITMENTS=1 CANDOR_Transparency__Enabled=true CANDOR_Transparency__EpochSeconds=${EPOCH_SECONDS:-10} CANDOR_Transparency__MinEpochBatches=1 ;;
  off) export COMMITMENTS=0 CANDOR_Transparency__Enabled=false ;;
  ignored) export COMMITMENTS=1 CANDOR_Transparency__Enabled=false ;; # commitments sent, the log off: parsing and wrk's cost only
  *) echo "TRANSPARENCY is on, off or ignored" >&2; exit 1 ;;
esac
# wrk sends everything from one address: turn the per-address limit off for the measurement.
export CANDOR_RateLimitPerAddressPerSecond=0
cd "$(dirname "$0")/.."
seconds=${1:-20}; connections=${2:-512}; threads=${3:-1}
port=${CANDOR_BENCH_PORT:-5181}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }

dotnet build -c Release src/Candor.Cli -v q -nologo >/dev/null
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
dotnet src/Candor.Cli/bin/Release/net10.0/candor.dll serve --db "$work/candor.db" --urls "http://127.0.0.1:$port" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

echo "== warm-up (5 s, not counted)"
wrk -t"$threads" -c"$connections" -d5s -s bench/wrk/ingest.lua "http://127.0.0.1:$port" >/dev/null
before=$(sqlite3 "$work/candor.db" "SELECT coalesce(sum(reports), 0) FROM raw_reports;")

echo "== GET /healthz (no-op baseline): wrk -t$threads -c$connections -d${seconds}s -s bench/wrk/healthz.lua"
wrk -t"$threads" -c"$connections" -d"${seconds}s" -s bench/wrk/healthz.lua "http://127.0.0.1:$port"

echo "== POST /v1/apps/org.example.editor/reports, 16 reports a batch: wrk -t$threads -c$connections -d${seconds}s -s bench/wrk/ingest.lua"
wrk -t"$threads" -c"$connections" -d"${seconds}s" -s bench/wrk/ingest.lua "http://127.0.0.1:$port"

after=$(sqlite3 "$work/candor.db" "SELECT coalesce(sum(reports), 0) FROM raw_reports;")
echo "== reports stored during the measured run (sum of raw_reports.reports): $((after - before)) (durable: WAL, synchronous=FULL)"
if [ "${TRANSPARENCY:-off}" = on ]; then
  echo "== transparency log: $(sqlite3 "$work/candor.db" "SELECT count(*) FROM commitments;") commitments held, $(sqlite3 "$work/candor.db" "SELECT tree_size FROM log_state;") leaves sealed, $(sqlite3 "$work/candor.db" "SELECT count(*) FROM log_checkpoints;") checkpoints"
fi
