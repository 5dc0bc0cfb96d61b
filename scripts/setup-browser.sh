#!/usr/bin/env bash
# Chromium for the debugger page's tests (tests/www/, driven by playwright-core): Debian's
# package, never a browser download of Playwright's own. Idempotent.
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi
