#!/usr/bin/env bash
# What fuzz/ needs: a nightly toolchain (cargo-fuzz's sanitizer flags are unstable) and
# cargo-fuzz (prebuilt, scripts/setup-tool.sh). Skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
scripts/setup-tool.sh cargo-fuzz
