#!/usr/bin/env bash
# Transparency log at 100 million leaves: fills a SQLite log once (tiles of every level, straight into
# the collector's tables; about 3.5 GB, kept out of git and out of CI), prints its bytes per leaf, then
# times inclusion and consistency proofs with BenchmarkDotNet. Also fills a 1-million-leaf log with
# everything (bundles, leaf lookup, commitment rows) and prints the bytes per leaf of each table.
# Usage: bench/run-log-proofs.sh [leaves=100000000]   (CANDOR_BENCH_LOG: where the big log goes)
set -euo pipefail
cd "$(dirname "$0")/.."
leaves=${1:-100000000}
log=${CANDOR_BENCH_LOG:-/tmp/candor-log-${leaves}.db}
dotnet build -c Release bench/Candor.Benchmarks -v q -nologo >/dev/null
bench=bench/Candor.Benchmarks/bin/Release/net10.0/Candor.Benchmarks.dll
if [ ! -f "$log" ]; then
  echo "== filling $log with $leaves leaves (tiles only)"
  dotnet "$bench" fill-log "$log" "$leaves"
fi
echo "== $log: $(stat -c %s "$log") bytes, $(( $(stat -c %s "$log") * 10 / leaves )) tenths of a byte per leaf"

full=$(mktemp -d)/log-1m.db
echo "== storage per leaf, every table, 1 million leaves: $full"
dotnet "$bench" fill-log "$full" 1000000 --full
command -v sqlite3 >/dev/null && sqlite3 "$full" "SELECT name, round(sum(pgsize) / 1000000.0, 1) FROM dbstat WHERE name LIKE 'log_%' OR name = 'commitments' GROUP BY name ORDER BY 2 DESC;"
rm -rf "$(dirname "$full")"

echo "== proofs: dotnet $bench --filter '*LogProof*' --job short --inProcess"
CANDOR_BENCH_LOG="$log" dotnet "$bench" --filter '*LogProof*' --job short --inProcess
