#!/usr/bin/env bash
# The Rust toolchain pieces every cargo stage needs (rustfmt, clippy, the wasm32 target),
# skipping what is already there. The build tools are scripts/setup-tool.sh's.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup component add rustfmt clippy >/dev/null 2>&1 || rustup component add rustfmt clippy
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
