#!/usr/bin/env bash
# Installs the pinned independent Prio3 implementation next to prio3-interop.mjs (run by Prio3NodeInteropTests).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/@divviup/prio3 ]; then
  npm ci --no-audit --no-fund --silent
fi
