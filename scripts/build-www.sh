#!/usr/bin/env bash
# Builds the debugger page's copy of the npm package's browser build into www/pkg/
# (generated, gitignored): pkg/web.js and pkg/esm/ from a fresh `node scripts/build-pkg.mjs`
# (unless SKIP_PKG_BUILD=1 says pkg/ is already current), src/js/debugger.js, and the wasm
# built with the `debugger` feature (scripts/build-debugger-wasm.mjs) in place of the
# package's own.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${SKIP_PKG_BUILD:-0}" != 1 ]; then
  node scripts/build-pkg.mjs
fi
node scripts/build-debugger-wasm.mjs
for needed in pkg/web.js pkg/esm/index.js target/debugger/web/digivault_webhooks_bg.wasm; do
  [ -f "$needed" ] || { echo "build-www: $needed is missing; run node scripts/build-pkg.mjs" >&2; exit 1; }
done

# Assemble next to the destination, then swap, so the page never sees half a copy.
staging=$(mktemp -d www/.pkg.XXXXXX)
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging/wasm"
cp pkg/web.js src/js/debugger.js "$staging/"
cp -R pkg/esm "$staging/esm"
cp -R target/debugger/web/. "$staging/wasm/"
rm -rf www/pkg
mv "$staging" www/pkg
trap - EXIT
echo "www/pkg: $(find www/pkg -type f | wc -l) files; open www/ with any static server, or run make dev"
