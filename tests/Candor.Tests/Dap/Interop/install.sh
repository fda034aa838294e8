#!/usr/bin/env bash
# Installs the pinned independent DAP-09 client next to dap-upload.mjs (run by DapNodeInteropTests).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/@divviup/dap ]; then
  npm ci --no-audit --no-fund --silent
fi
