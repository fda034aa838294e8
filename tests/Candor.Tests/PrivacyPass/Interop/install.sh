#!/usr/bin/env bash
# Installs the independent Privacy Pass implementation the interop test runs (exact versions from
# package-lock.json) into this folder's node_modules, once. Run by PrivacyPassInteropTests.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/@cloudflare/privacypass-ts ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
