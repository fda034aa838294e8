#!/usr/bin/env sh
# Installs axe-core from the npm registry next to this script (node_modules/ is not committed).
# The dashboard's accessibility tests run this when node_modules/axe-core/axe.min.js is missing.
set -eu
cd "$(dirname "$0")"
npm install --no-audit --no-fund --loglevel=error >&2
test -f node_modules/axe-core/axe.min.js
