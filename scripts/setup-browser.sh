#!/usr/bin/env bash
# What the debugger page's tests (tests/www/) need beyond npm packages: Chromium, Debian's
# package driven by playwright-core (never a browser download of Playwright's own), and curl
# to run the generated command. Idempotent.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi
