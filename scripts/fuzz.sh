#!/usr/bin/env bash
# Short fuzzing run of every parser target (cargo-fuzz / libFuzzer) on the stable toolchain.
#   scripts/fuzz.sh                 # every target, FUZZ_SECONDS (default 45) each
#   FUZZ_SECONDS=3600 scripts/fuzz.sh ews_response   # a long local run of one target
# Exits non-zero when a target crashes; the crashing input is left in fuzz/artifacts/<target>/.
# Prints the executions each target reached ("fuzz: <target> <execs> execs in <s> s").
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-45}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(ews_response autodiscover_pox entra_json jwt_claims bundle_read answers_file)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# cargo-fuzz passes nightly-only flags; the one stable toolchain accepts them with
# RUSTC_BOOTSTRAP. No sanitizer: the parsers are safe Rust, so panics (including overflow,
# with debug assertions on) are the crashes that matter, and builds stay light on 2 cores.
export RUSTC_BOOTSTRAP=1
fuzz_flags=(--sanitizer none --debug-assertions)

echo "== building fuzz targets"
cargo fuzz build "${fuzz_flags[@]}"

status=0
for t in "${targets[@]}"; do
  corpus="fuzz/corpus/$t"
  mkdir -p "$corpus" "fuzz/artifacts/$t"
  cp -n fuzz/seeds/"$t"/* "$corpus"/ 2>/dev/null || true
  # Past crashes, fixed: the fuzzer starts next to them and proves they stay fixed.
  cp -n fuzz/regressions/"$t"/* "$corpus"/ 2>/dev/null || true
  log="fuzz/artifacts/$t/last-run.log"
  echo "== fuzzing $t for ${seconds}s"
  # -max_len above the parsers' own 1 MiB bound would only test the size check; 64 KiB
  # keeps runs fast while still far above any real answer. -timeout flags a hang per input.
  if cargo fuzz run "${fuzz_flags[@]}" "$t" "$corpus" -- \
      -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 >"$log" 2>&1; then
    :
  else
    status=1
    echo "fuzz: $t CRASHED — see $log and fuzz/artifacts/$t/"
    grep -aE "panicked|ERROR|SUMMARY|Test unit written" "$log" | head -n 10 || true
  fi
  execs=$(grep -aEo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -n 1 || true)
  echo "fuzz: $t ${execs:-?} execs in ${seconds} s"
done
exit "$status"
