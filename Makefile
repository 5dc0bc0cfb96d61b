# The two commands a newcomer needs are in README.md; everything else hangs off them.
SHELL := /bin/bash
.DEFAULT_GOAL := test

.PHONY: test setup check-rust test-rust build-wasm-core build-pkg test-js test-consumers build-worker test-worker dev bench bench-npm bench-worker build-www test-www

## test: install what is missing, then run every check and test
test: setup check-rust test-rust build-wasm-core test-js test-consumers test-worker test-www

setup:
	scripts/setup-rust.sh
	test -x node_modules/.bin/wrangler || npm ci
	scripts/setup-browser.sh

check-rust:
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --all-targets --features worker -- -D warnings
	cargo clippy --all-targets --features worker --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --all-targets --features wasm -- -D warnings
	cargo clippy --all-targets --features wasm --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --all-targets --features debugger --target wasm32-unknown-unknown -- -D warnings

test-rust:
	cargo test

## The core alone, no bindings: proves it builds for wasm32 without wasm-bindgen.
build-wasm-core:
	cargo build --release --target wasm32-unknown-unknown --lib

## The npm package, generated into pkg/ (wasm-bindgen for Node and web, JS glue, package.json).
build-pkg:
	node scripts/build-pkg.mjs

## The built package: Node's test runner against pkg/ and the packed tarball, in Node 20, 22
## and 24, Deno, Bun, workerd (Miniflare) and an Express app.
test-js: build-pkg
	node --test tests/js/
	node_modules/node22/bin/node --test tests/js/verify.test.mjs tests/js/webhook.test.mjs tests/js/fetch.test.mjs
	node_modules/node24/bin/node --test tests/js/verify.test.mjs tests/js/webhook.test.mjs tests/js/fetch.test.mjs

## The packed tarball installed into throwaway projects and built as users build (tests/consumers/):
## esbuild and Vite browser bundles in Chromium, esbuild and bun server bundles, tsc over the
## README's snippets and user-style projects, Deno with --allow-net only; then the release
## checks (changelog version, licenses, npm and cargo publish --dry-run).
test-consumers: build-pkg
	node --test --test-timeout=600000 tests/consumers/

## Benchmarks (not tests): figures and ratios, printed.
bench: bench-npm bench-worker

bench-npm: build-pkg
	node bench/npm/run.mjs
	node bench/npm/load.mjs

## The Cloudflare Worker receiver (cargo feature `worker`): build/index.js + build/index_bg.wasm.
build-worker:
	scripts/build-worker.sh

## The built Worker in real workerd (Miniflare) against a local origin, then a `wrangler dev` smoke test.
test-worker: build-worker
	node --test --test-concurrency=1 tests/worker/

## Reliability and security (SECURITY.md): a fuzz smoke run in `make test`, the long runs and
## the timing check by hand.
.PHONY: fuzz-smoke fuzz-long bench-timing chaos-short chaos-long test-security
test: test-security fuzz-smoke chaos-short
bench: bench-timing

## SECURITY.md's bad-input classes sent to the built Worker in workerd: status, code, nothing forwarded.
test-security: build-worker
	node --test --test-concurrency=1 tests/security/

## Every cargo-fuzz target (five) for 20 s from the committed seeds (fuzz/README.md).
fuzz-smoke:
	fuzz/run.sh 20

## Every cargo-fuzz target for 10 minutes, at the lowest priority.
fuzz-long:
	nice -n 19 fuzz/run.sh 600

## Chaos run: the sender simulator through the built Worker in workerd to a faulty origin
## (500s, hangs, outages) with duplicates and forged deliveries; fails on a lost event, a
## forward after an acknowledged success, or a forged delivery accepted; then the durable
## mode (DELIVERY_MODE=durable) with an outage twice the sender's whole schedule. ~60 s.
chaos-short: build-pkg build-worker
	node scripts/chaos.mjs --events 500
	node scripts/chaos.mjs --mode durable --events 300

## The long form (figures in README.md, Reliability): 5000 events, 1 min of the retry schedule = 100 ms.
chaos-long: build-pkg build-worker
	node scripts/chaos.mjs --events 5000 --duplicate-share 0.3 --time-scale 600 --outage-ms 3000 --outage-every-ms 60000 --seed 7

## Benchmark (not a test): dudect-style check that verification time does not depend on how
## many leading signature digits match, natively and in the built package in Node.
bench-timing: build-pkg
	CARGO_TARGET_DIR=target/timing cargo run --quiet --release --manifest-path bench/timing/Cargo.toml -- 1000000
	node bench/timing/node.mjs 200000

## The main job: the Worker on http://127.0.0.1:8787 (wrangler dev, local KV) and a demo origin.
dev:
	scripts/dev.sh

## Benchmark (not a test): this Worker against a hand-written JS reference, both in wrangler dev.
bench-worker: build-worker
	node bench/worker/run.mjs
	node bench/worker/cross-isolate.mjs

## The debugger page (www/): its copy of the package's browser build, generated into www/pkg/.
build-www: build-pkg
	SKIP_PKG_BUILD=1 scripts/build-www.sh

## The debugger page in real Chromium (playwright-core with Debian's /usr/bin/chromium).
test-www: build-www
	node --test --test-timeout=120000 tests/www/

## `make dev` serves the debugger page at / through the Worker: it needs www/pkg/.
dev: build-www
