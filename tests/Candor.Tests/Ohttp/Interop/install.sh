#!/usr/bin/env bash
# Installs the pinned independent HPKE implementation next to ohttp-client.mjs (run by NodeInteropTests).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/@hpke/core ] || [ ! -d node_modules/@hpke/dhkem-x25519 ]; then
  npm ci --no-audit --no-fund --silent
fi
