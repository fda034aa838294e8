#!/usr/bin/env bash
# Accepts the current public API of Candor's packages into their baselines (src/<project>/PublicAPI.Unshipped.txt),
# after a review: the build fails on any public symbol added (RS0016) or removed (RS0017) without this step.
# Usage: scripts/update-public-api.sh [project ...]   (default: every project with a PublicAPI.Shipped.txt)
# Review the diff of the PublicAPI.*.txt files before committing: it is the change to the packages' contract.
set -euo pipefail
cd "$(dirname "$0")/.."
projects=("$@")
if [ ${#projects[@]} -eq 0 ]; then
  for f in src/*/PublicAPI.Shipped.txt; do projects+=("$(dirname "$f")"); done
fi
for dir in "${projects[@]}"; do
  dir=${dir%/}; name=$(basename "$dir")
  unshipped="$dir/PublicAPI.Unshipped.txt"
  log=$(mktemp)
  # RS0016/RS0017 as warnings for this build only, so the whole list comes out at once.
  dotnet build "$dir/$name.csproj" -nologo -v q --no-incremental -p:WarningsAsErrors= -p:TreatWarningsAsErrors=false > "$log" 2>&1 || true
  added=$(grep -o "warning RS0016: Symbol '.*' is not part of the declared public API" "$log" | sed "s/^warning RS0016: Symbol '//; s/' is not part of the declared public API$//" | sort -u || true)
  removed=$(grep -o "warning RS0017: Symbol '.*' is part of the declared API" "$log" | sed "s/^warning RS0017: Symbol '//; s/' is part of the declared API$//" | sort -u || true)
  if grep -q " error " "$log"; then grep " error " "$log" | sort -u | head -20 >&2; rm -f "$log"; echo "$name: the build failed" >&2; exit 1; fi
  rm -f "$log"
  body=$(tail -n +2 "$unshipped" || true)
  if [ -n "$removed" ]; then
    body=$(printf '%s\n' "$body" | grep -vxF -f <(printf '%s\n' "$removed") || true)
    shipped="$dir/PublicAPI.Shipped.txt"
    rest=$(tail -n +2 "$shipped" | grep -vxF -f <(printf '%s\n' "$removed") || true)
    { echo "#nullable enable"; if [ -n "$rest" ]; then printf '%s\n' "$rest"; fi; } > "$shipped"
  fi
  { echo "#nullable enable"; printf '%s\n%s\n' "$body" "$added" | sed '/^$/d' | LC_ALL=C sort -u; } > "$unshipped"
  echo "$name: $(printf '%s' "$added" | grep -c . || true) symbols added, $(printf '%s' "$removed" | grep -c . || true) removed"
done
