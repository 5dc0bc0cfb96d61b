#!/usr/bin/env bash
# Builds the Cloudflare Worker (cargo feature `worker`) into build/: index.js + index_bg.wasm.
# wrangler.toml runs this as its [build] command; `make build-worker` too.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${TOOLS_ROOT:+$TOOLS_ROOT/bin:}${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# worker-build would download these from GitHub; use the pinned local ones instead.
# (Debian's binaryen is too old for wasm-bindgen's output: never use it.)
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen)}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/binaryen/bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/.bin/esbuild}"
for tool in "$WASM_BINDGEN_BIN" "$WASM_OPT_BIN" "$ESBUILD_BIN"; do
  [ -x "$tool" ] || { echo "build-worker: missing $tool; run \`make setup\`" >&2; exit 1; }
done

worker-build --profile worker -- --features worker

# worker-build keeps the wasm name section for symbolicated stack traces: about 21 KB of
# the gzip size. The receiver has no panics to trace (panic = "abort" and clippy denies
# unwrap/expect/panic), so the section goes.
# -Oz once more on wasm-bindgen's output: worker-build's own pass leaves about 1.3 KB gzip.
node scripts/wasm-opt.mjs build/index_bg.wasm -Oz --strip-debug

echo "build-worker: build/index_bg.wasm is $(wc -c < build/index_bg.wasm) bytes, $(gzip -9c build/index_bg.wasm | wc -c) gzip"
