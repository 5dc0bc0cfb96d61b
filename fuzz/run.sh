#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 20), seeded from the committed corpus.
#   fuzz/run.sh 20                      # the smoke run of `make fuzz-smoke`
#   nice -n 19 fuzz/run.sh 600          # the long local run (figures in fuzz/README.md)
#   fuzz/run.sh 60 receiver_request     # one target
# New inputs go to fuzz/target/work-corpus/<target>/ (not committed), crashes to
# fuzz/artifacts/<target>/; the committed fuzz/corpus/ is read only.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-20}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(event_parse signature_header receiver_request local_dedup ledger)

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

cargo +nightly fuzz build
for target in "${targets[@]}"; do
  work="target/work-corpus/$target"
  mkdir -p "$work"
  echo "== $target: ${seconds}s"
  log="target/$target-${seconds}s.log"
  status=0
  cargo +nightly fuzz run "$target" "$work" "corpus/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 >"$log" 2>&1 || status=$?
  grep -E '^(#[0-9]+[[:space:]]+DONE|Done |stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)|==[0-9]+==|thread .* panicked|SUMMARY|artifact_prefix|Test unit written)' "$log" || true
  echo "corpus: $(find "$work" "corpus/$target" -type f | wc -l) files (committed seeds + work corpus)"
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$log" >&2
    echo "fuzz target $target failed (exit $status): see fuzz/artifacts/$target/ and fuzz/$log" >&2
    exit 1
  fi
done
