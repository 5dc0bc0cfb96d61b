#!/usr/bin/env bash
# `make dev`: the Worker receiver in real workerd (wrangler dev) on http://127.0.0.1:8787 with
# the local delivery ledger (LEDGER) and KV (.wrangler/state), forwarding to a demo origin on
# 127.0.0.1:8788 that prints what it receives. scripts/dev.mjs does the work: one development
# build of the Worker, then one per change in src/, and a front door that makes requests wait
# for a build (or answers 503) instead of hanging. PORT and ORIGIN_PORT override the ports;
# DEV_HOLD_MS how long a request waits for a build (10000). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${TOOLS_ROOT:+$TOOLS_ROOT/bin:}${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_SEND_METRICS=false
exec node scripts/dev.mjs
