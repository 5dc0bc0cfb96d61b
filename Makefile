# The two commands a newcomer needs are in README.md; everything else hangs off them.
SHELL := /bin/bash
.DEFAULT_GOAL := test
# Tools from scripts/setup-tool.sh: in $TOOLS_ROOT/bin if set, else cargo's bin directory.
export PATH := $(if $(TOOLS_ROOT),$(TOOLS_ROOT)/bin:)$(or $(CARGO_HOME),$(HOME)/.cargo)/bin:$(PATH)

.PHONY: test setup setup-rust setup-node setup-browser setup-wasm-bindgen setup-fuzz
.PHONY: check-rust check-fmt check-locks clippy test-rust build-wasm-core build-pkg test-js test-consumers build-worker test-worker test-dev dev deploy bench bench-npm bench-worker build-www test-www build-fuzz

## test: every stage of TEST_STAGES, run by scripts/test-suite.mjs: each once, after the stages
## among its prerequisites here, independent ones at the same time, logs in target/test-logs/,
## a table of durations and results at the end. `make test STAGES="test-js"` runs only those
## (and what they need). Add a stage: its target below, with its prerequisites, and a line
## `TEST_STAGES += name` (not `test: name`, which would run outside the suite).
test:
	node scripts/test-suite.mjs $(STAGES)

TEST_STAGES := setup-rust setup-wasm-bindgen setup-node setup-browser setup-fuzz
TEST_STAGES += build-worker build-pkg build-www build-fuzz
TEST_STAGES += test-worker test-js test-consumers test-www

## setup: everything the stages need, each part skipped when already there.
setup: setup-rust setup-node setup-browser setup-wasm-bindgen setup-fuzz

setup-rust:
	scripts/setup-rust.sh

## npm ci when node_modules/ was not installed from this package-lock.json.
setup-node:
	@if ! cmp -s package-lock.json node_modules/.package-lock.stamp; then \
	  echo "npm ci (node_modules/ is missing or from another package-lock.json)"; \
	  npm ci --no-audit --no-fund && cp package-lock.json node_modules/.package-lock.stamp; \
	else echo "node_modules/ is current"; fi

setup-browser:
	scripts/setup-browser.sh

setup-wasm-bindgen: setup-rust
	scripts/setup-tool.sh wasm-bindgen

## nightly Rust and cargo-fuzz, for fuzz/.
setup-fuzz: setup-rust
	scripts/setup-fuzz.sh

check-rust: check-fmt clippy

check-fmt: setup-rust
	cargo fmt --all --check

## Every committed lock file is current: cargo would not rewrite it.
check-locks: setup-rust
	cargo metadata --locked --format-version 1 >/dev/null
	cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null
	cargo metadata --locked --format-version 1 --manifest-path bench/timing/Cargo.toml >/dev/null
	cargo metadata --locked --format-version 1 --manifest-path bench/worker/floor/Cargo.toml >/dev/null

## Two passes cover every cfg: natively (the Rust crate and its tests), and for wasm32 with all
## features at once (the Worker's, wasm, debugger: the code they gate only adds; the Worker's
## three at once build one script doing everything). The shipped wasm32
## combinations one at a time, library only, catch what is unused in one of them alone.
clippy: setup-rust
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --features worker,worker-ops,worker-ledger,debugger --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --features wasm --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --features debugger --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --features worker --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --features worker-ops,worker-ledger --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --features worker,worker-ledger --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --features worker-ops --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --features worker-ledger --target wasm32-unknown-unknown -- -D warnings

test-rust: setup-rust
	cargo test

## The core alone, no bindings: proves it builds for wasm32 without wasm-bindgen.
build-wasm-core: setup-rust
	cargo build --release --target wasm32-unknown-unknown --lib

## The npm package, generated into pkg/ (wasm-bindgen for Node and web, JS glue, package.json).
build-pkg: setup-node setup-wasm-bindgen
	node scripts/build-pkg.mjs

## The built package: Node's test runner against pkg/ and the packed tarball, in Node 20, 22
## and 24, Deno, Bun, workerd (Miniflare) and an Express app.
test-js: build-pkg
	node --test tests/js/
	node_modules/node22/bin/node --test tests/js/verify.test.mjs tests/js/webhook.test.mjs tests/js/fetch.test.mjs
	node_modules/node24/bin/node --test tests/js/verify.test.mjs tests/js/webhook.test.mjs tests/js/fetch.test.mjs

## The packed tarball installed into throwaway projects and built as users build (tests/consumers/):
## esbuild and Vite browser bundles in Chromium, esbuild and bun server bundles, tsc over the
## package README's snippets (docs/npm.md) and user-style projects, Deno with --allow-net only; then the release
## checks (changelog version, licenses, npm and cargo publish --dry-run).
test-consumers: build-pkg setup-browser
	node --test --test-timeout=600000 tests/consumers/

## The docs are tested (tests/docs/): links between the guides resolve (files and headings);
## TypeScript/JavaScript blocks compile against pkg/; wrangler.toml blocks and the settings table
## match wrangler.toml and the receiver's VARS; the CLI commands run against a local server;
## make targets, wrangler commands and scripts named in shell blocks exist. A few seconds.
.PHONY: test-docs
TEST_STAGES += test-docs
test-docs: build-pkg
	node --test --test-concurrency=3 tests/docs/

## Benchmarks (not tests): figures and ratios, printed.
bench: bench-npm bench-worker

bench-npm: build-pkg
	node bench/npm/run.mjs
	node bench/npm/targets.mjs
	node bench/npm/load.mjs

## The Cloudflare Worker receiver's two scripts: the webhook script (build/, wrangler.toml) and
## the ops script (build/ops/, ops/wrangler.toml), by the project's own script (cargo,
## wasm-bindgen, wasm-opt -Oz, esbuild; no worker-build). Fails when the webhook script's
## .wasm is over its gzip budget (HOT_WASM_GZIP_BUDGET in scripts/build-worker.mjs).
build-worker: setup-node setup-wasm-bindgen
	node scripts/build-worker.mjs

## Deploys both scripts with wrangler (logged in, or CLOUDFLARE_API_TOKEN): the ops script first
## (the webhook script's OPS and LEDGER bindings name it), then the webhook script.
deploy: setup-node setup-wasm-bindgen
	node scripts/deploy.mjs

## The built Worker in real workerd (Miniflare) against a local origin, then a `wrangler dev` smoke test.
test-worker: build-worker
	node --test --test-concurrency=2 tests/worker/

## `make dev` end to end (tests/dev/): scripts/dev.sh in a temporary copy, its development
## build included (on a fresh clone that compiles the dependencies once more, at opt-level 1),
## so its own stage, beside test-worker rather than inside it. It needs no build/.
TEST_STAGES += test-dev
test-dev: build-www setup-wasm-bindgen
	node --test tests/dev/

## Reliability and security (SECURITY.md): a fuzz smoke run in `make test`, the long runs and
## the timing check by hand.
.PHONY: fuzz-smoke fuzz-long bench-timing chaos-short chaos-long chaos-long-durable test-security
TEST_STAGES += test-security fuzz-smoke chaos-short
bench: bench-timing

## SECURITY.md's bad-input classes sent to the built Worker in workerd: status, code, nothing forwarded.
test-security: build-worker
	node --test --test-concurrency=1 tests/security/

## The fuzz targets, built once (cargo-fuzz's release build with address sanitizer).
build-fuzz: setup-fuzz
	cd fuzz && cargo +nightly fuzz build

## Every cargo-fuzz target (five) for 20 s from the committed seeds (fuzz/README.md).
fuzz-smoke: build-fuzz
	fuzz/run.sh 20

## Every cargo-fuzz target for 10 minutes, at the lowest priority.
fuzz-long: build-fuzz
	nice -n 19 fuzz/run.sh 600

## Chaos run: the sender simulator through the built Worker in workerd to a faulty origin
## (500s, hangs, outages) with duplicates and forged deliveries; fails on a lost event, a
## forward after an acknowledged success, or a forged delivery accepted; then the durable
## mode (DELIVERY_MODE=durable) with an outage twice the sender's whole schedule. ~60 s.
chaos-short: build-pkg build-worker
	node scripts/chaos.mjs --events 500
	node scripts/chaos.mjs --mode durable --events 300

## The long form (figures in docs/development.md, Reliability): 5000 events, 1 min of the retry schedule = 100 ms.
chaos-long: build-pkg build-worker
	node scripts/chaos.mjs --events 5000 --duplicate-share 0.3 --time-scale 600 --outage-ms 3000 --outage-every-ms 60000 --seed 7

## The long form in durable mode (figures in docs/development.md, Reliability): 2000 events, the receiver's own schedule.
chaos-long-durable: build-pkg build-worker
	node scripts/chaos.mjs --mode durable --events 2000 --duplicate-share 0.3 --seed 7

## Benchmark (not a test): dudect-style check that verification time does not depend on how
## many leading signature digits match, natively and in the built package in Node.
bench-timing: build-pkg
	CARGO_TARGET_DIR=target/timing cargo run --quiet --release --manifest-path bench/timing/Cargo.toml -- 1000000
	node bench/timing/node.mjs 200000

## The main job: the Worker on http://127.0.0.1:8787 (wrangler dev, local KV) and a demo origin,
## serving the debugger page at /. scripts/dev.mjs installs and builds what is missing (the
## suite's stages), makes one development build of the Worker, then one per change in src/.
dev:
	scripts/dev.sh

## Benchmark (not a test): this Worker against a hand-written JS reference, both in wrangler dev.
bench-worker: build-worker
	node bench/worker/run.mjs
	node bench/worker/cross-isolate.mjs
	node bench/worker/listen.mjs

## The debugger page (www/): its copy of the package's browser build, generated into www/pkg/.
build-www: build-pkg
	SKIP_PKG_BUILD=1 scripts/build-www.sh

## The debugger page in real Chromium (playwright-core with Debian's /usr/bin/chromium).
test-www: build-www build-worker setup-browser
	node --test --test-timeout=120000 tests/www/

## Checks last: no other stage waits for them.
TEST_STAGES += check-locks check-fmt clippy test-rust build-wasm-core
