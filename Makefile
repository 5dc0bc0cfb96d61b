# The two commands a newcomer needs are in README.md; everything else hangs off them.
SHELL := /bin/bash
.DEFAULT_GOAL := test

.PHONY: test setup check-rust test-rust build-wasm-core

## test: install what is missing, then run every check and test
test: setup check-rust test-rust build-wasm-core

setup:
	scripts/setup-rust.sh

check-rust:
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --target wasm32-unknown-unknown -- -D warnings

test-rust:
	cargo test

## The core alone, no bindings: proves it builds for wasm32 without wasm-bindgen.
build-wasm-core:
	cargo build --release --target wasm32-unknown-unknown --lib
