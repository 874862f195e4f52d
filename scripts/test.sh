#!/usr/bin/env bash
# The project's test command (README): every Rust test, then the peer-client checks.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked --all-targets
if [ -x tests/peer/run.sh ]; then
  bash tests/peer/run.sh
fi
