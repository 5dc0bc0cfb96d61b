#!/usr/bin/env bash
# Installs the Rust pieces the build needs, skipping what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup component add rustfmt clippy >/dev/null 2>&1 || rustup component add rustfmt clippy
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

# wasm-bindgen's CLI must match the library version in Cargo.lock exactly.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ -n "$want" ] && [ "$want" != "$have" ]; then
  echo "installing wasm-bindgen-cli $want (had: ${have:-none})"
  # Not --locked: a yanked transitive crate in its lock file breaks that.
  cargo install wasm-bindgen-cli --version "$want"
fi

# worker-build builds the Cloudflare Worker (make build-worker); the version matches the
# `worker` crate in Cargo.toml.
want_wb=0.8.7
have_wb=$(worker-build --version 2>/dev/null || true)
if [ "$have_wb" != "$want_wb" ]; then
  echo "installing worker-build $want_wb (had: ${have_wb:-none})"
  cargo install worker-build --version "$want_wb"
fi
