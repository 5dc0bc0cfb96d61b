#!/usr/bin/env bash
# `make dev`: the Worker receiver in real workerd (wrangler dev) on http://127.0.0.1:8787 with
# the local delivery ledger (LEDGER) and KV (.wrangler/state), forwarding to a demo origin on 127.0.0.1:8788 that prints what
# it receives. wrangler.toml's [build] command builds the Worker first (and on changes in src/).
# PORT and ORIGIN_PORT override the ports. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
export CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_SEND_METRICS=false
# wrangler's [build] command (scripts/build-worker.mjs) then makes development builds: no wasm-opt.
export DIGIVAULT_WORKER_BUILD=dev
port=${PORT:-8787}
origin_port=${ORIGIN_PORT:-8788}

if [ ! -f .dev.vars ]; then
  cp .dev.vars.example .dev.vars
  echo "dev: created .dev.vars from .dev.vars.example (local secrets, git-ignored)"
fi
secret=$(sed -n 's/^WEBHOOK_SECRET=//p' .dev.vars | head -n 1)
# Listeners too (docs/listen.md): a local LISTEN_TOKEN, added to an older .dev.vars once.
grep -q '^LISTEN_TOKEN=' .dev.vars || echo "LISTEN_TOKEN=local-listen-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >> .dev.vars
grep -qs '^LISTEN_TOKEN=' ops/.dev.vars || grep '^LISTEN_TOKEN=' .dev.vars >> ops/.dev.vars # the ops script's copy

# The demo origin verifies the forwarded signature with the same secret.
WEBHOOK_SECRET="$secret" node scripts/demo-origin.mjs "$origin_port" &
origin_pid=$!
waiter_pid=
cleanup() {
  kill "$origin_pid" 2>/dev/null || true
  [ -n "$waiter_pid" ] && kill "$waiter_pid" 2>/dev/null || true
}
trap cleanup EXIT

# Once the Worker answers, say how to use it; until then, say what it waits for.
echo "dev: demo origin on http://127.0.0.1:$origin_port; starting wrangler dev (its [build] command rebuilds the Worker if src/ changed, then workerd starts)"
(
  waited=0
  until curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
    sleep 1
    waited=$((waited + 1))
    if [ $((waited % 15)) -eq 0 ]; then
      echo "dev: still waiting for the Worker to answer http://127.0.0.1:$port/health (${waited} s; wrangler's output above)"
    fi
    if [ "$waited" -ge 600 ]; then
      echo "dev: the Worker did not answer in 600 s; see wrangler's output above" >&2
      exit 1
    fi
  done
  cat <<MSG

  DigiVault webhook receiver: http://127.0.0.1:$port/webhooks  ->  demo origin http://127.0.0.1:$origin_port/webhooks
  send a signed test event:     node --env-file=.dev.vars pkg/cli.js send --secret-env WEBHOOK_SECRET --url http://127.0.0.1:$port/webhooks --print-curl
  one id delivered twice:       node --env-file=.dev.vars pkg/cli.js send --secret-env WEBHOOK_SECRET --url http://127.0.0.1:$port/webhooks --id evt_demo_1 --duplicates 1
                                (the second delivery is answered {"status":"duplicate"}; node pkg/cli.js --help for more)
  your own server gets them too: node --env-file=.dev.vars pkg/cli.js listen --token-env LISTEN_TOKEN --url http://127.0.0.1:$port --forward-to http://localhost:3000/webhooks
                                (docs/listen.md: what each line it prints means)
  health:                       curl http://127.0.0.1:$port/health
  debugger page:                http://127.0.0.1:$port/

MSG
) &
waiter_pid=$!

# Both scripts in one workerd: the webhook script (wrangler.toml, serving) and the ops script.
node_modules/.bin/wrangler dev -c wrangler.toml -c ops/wrangler.toml --ip 127.0.0.1 --port "$port" \
  --var "FORWARD_URL:http://127.0.0.1:$origin_port/webhooks" \
  --persist-to .wrangler/state
