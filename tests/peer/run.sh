#!/usr/bin/env bash
# Real Microsoft-protocol clients (msal, exchangelib) against `moxi-setup sim serve`.
# Needs: python3 with tests/peer/requirements.txt installed (.ci/run does it).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${MOXI_BIN:-target/debug/moxi-setup}"
if [ ! -x "$BIN" ]; then
  cargo build --locked --bin moxi-setup
fi
exec python3 tests/peer/peer.py "$BIN" "$@"
