// The BUILT Worker's two scripts (webhook: build/index.js + index_bg.wasm; ops: build/ops/) in
// real workerd through Miniflare, one instance running both as deployed (the webhook script's
// `OPS` service binding to the ops script, and its `LEDGER` binding the EventLedger class the
// ops script hosts, by `scriptName`), with the bindings a run asks for: what the Worker tests
// (tests/worker/helpers.mjs) and the chaos run (scripts/chaos.mjs) start: one Worker
// (`startWorker`), or two locations sharing one delivery ledger (`startLocations`). Needs
// `make build-worker`.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { signBody } from '../../src/js/sender.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SECRET = 'whsec_test_current_0123456789';
export const COMPATIBILITY_DATE = '2026-04-20';

const SCRIPT = `${ROOT}build/index.js`;
const OPS_SCRIPT = `${ROOT}build/ops/index.js`;
for (const script of [SCRIPT, OPS_SCRIPT]) {
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`make build-worker\` first`);
}
/** The ops script's name in Miniflare (the webhook script's `OPS` binding points at it). */
export const OPS_NAME = 'ops';
/** The variables only the ops script reads (ops/wrangler.toml; the rest belong to the webhook script). */
const OPS_VARS = [
  'ADMIN_TOKEN',
  'FAILURE_SAMPLES_PER_MINUTE',
  'FAILURE_TTL_SECONDS',
  'ALERT_URL',
  'ALERT_SECRET',
  'ALERT_INTERVAL_SECONDS',
  'ALERT_FAILURE_THRESHOLD',
  'ALERT_BACKLOG_SECONDS',
];
/**
 * Where the EventLedger class runs when the ops script is not the built one (none, or a JS
 * stand-in): the built ops script again under this name, hosting the class only.
 */
const LEDGER_HOST = 'ledger-host';

/** Lowercase hex HMAC-SHA256, as DigiVault signs (node:crypto: independent of the Rust core under test). */
export function sign(body, secret = SECRET) {
  return signBody(secret, body);
}

/** A KV namespace whose reads always fail (writes work), as a wrapped binding. */
const FAILING_KV = `
export default function () {
  const store = new Map();
  const fail = async () => {
    throw new Error('KV GET failed: 500 Internal Server Error (simulated)');
  };
  return {
    get: fail,
    getWithMetadata: fail,
    async put(key, value) { store.set(key, value); },
    async delete(key) { store.delete(key); },
    async list() { return { keys: [...store.keys()].map((name) => ({ name })), list_complete: true }; },
  };
}`;

/**
 * The ops script in Miniflare's `workers` list: `ledger`, its LEDGER binding (null: none;
 * as deployed, its own EventLedger class), and every variable of `vars` (the class it hosts
 * delivers in durable mode with the receiver's settings; the console diagnoses with the
 * webhook secrets; listen serves with LISTEN_TOKEN).
 */
function opsService({ vars, ledger, script = null, console: consoleObject = false, hub = false, name = OPS_NAME }) {
  if (script) return { name, modules: true, script, compatibilityDate: COMPATIBILITY_DATE };
  return {
    name,
    scriptPath: OPS_SCRIPT,
    modules: true,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: COMPATIBILITY_DATE,
    durableObjects: {
      ...(ledger ? { LEDGER: ledger } : {}),
      // The console's object (refused-delivery evidence, alerts), class ConsoleLog of this script.
      ...(consoleObject ? { CONSOLE: { className: 'ConsoleLog', useSQLite: true } } : {}),
      ...(hub ? { LISTEN: { className: 'ListenHub', useSQLite: true } } : {}),
    },
    bindings: vars,
  };
}

/** The EventLedger class of the built ops script, SQLite storage (bound where it is exported). */
const OWN_LEDGER = { className: 'EventLedger', useSQLite: true };

/** A LEDGER binding to the class `script` exports. */
function ledgerIn(script) {
  return { className: 'EventLedger', scriptName: script, useSQLite: true };
}

/** The webhook script's service in Miniflare's `workers` list, with its bindings. */
function workerService({ name, vars, rateLimit, kv, ledger, kvId = 'dedup', ops = true, assets = null }) {
  return {
    name,
    scriptPath: SCRIPT,
    modules: true,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: COMPATIBILITY_DATE,
    kvNamespaces: kv === true ? { DEDUP: kvId } : {},
    ...(kv === 'reads-fail' ? { wrappedBindings: { DEDUP: 'failing-kv' } } : {}),
    ...(ledger ? { durableObjects: { LEDGER: ledger } } : {}),
    ...(rateLimit === null ? {} : { ratelimits: { RATE_LIMITER: { simple: { limit: rateLimit, period: 60 } } } }),
    ...(ops ? { serviceBindings: { OPS: OPS_NAME } } : {}),
    bindings: Object.fromEntries(Object.entries(vars).filter(([name]) => !OPS_VARS.includes(name))),
    // The page's files as the ASSETS binding, the Worker run first (wrangler.toml's [assets]).
    ...(assets
      ? {
          assets: {
            directory: assets,
            binding: 'ASSETS',
            routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true },
          },
        }
      : {}),
  };
}

/** The JSON lines the Worker logged (one per request), from Miniflare's structured logs. */
function jsonLines(logs) {
  return logs.flatMap(({ message }) => {
    try {
      const value = JSON.parse(message);
      return value && typeof value === 'object' && 'outcome' in value ? [value] : [];
    } catch {
      return [];
    }
  });
}

/** A client of one Worker service: `fetch` and signed `post`. */
function client(fetch) {
  return {
    fetch: (path, init) => fetch(`http://receiver.test${path}`, init),
    /** POSTs a body signed with `secret` (null: no signature) under `header`. */
    post: (body, { secret = SECRET, header = 'X-DigiVault-Signature', path = '/webhooks', headers = {} } = {}) =>
      fetch(`http://receiver.test${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(secret === null ? {} : { [header]: sign(body, secret) }),
          ...headers,
        },
        body,
      }),
  };
}

/**
 * The built Worker in workerd. `vars` become plain-text bindings (as [vars] and secrets
 * do); `rateLimit` is the RATE_LIMITER binding's limit per 60 s, which counts failed requests
 * per address (null: no binding); `kv`:
 * true (a local KV namespace), false (no DEDUP binding) or 'reads-fail'; `ledger`: true
 * binds LEDGER to the EventLedger class of the ops script (SQLite; as deployed), false leaves
 * it unbound (KV mode); `persist`: a directory for KV and Durable Object storage (alarms included), so that
 * a second instance starts on the first one's state. `ops`: true (the built ops script bound as
 * `OPS`), false (no `OPS` binding) or a JS module's source serving as the ops script.
 * `console`: binds the ops script's CONSOLE to its ConsoleLog class; `hub`: binds the ops
 * script's LISTEN to its ListenHub class (`digivault-webhooks listen`). `assets`: a directory
 * served as the ASSETS binding (the page, www/); `listen`: Miniflare listens on a free port of
 * 127.0.0.1 (`url`), for a browser; `port`: the webhook script also serves on this port of
 * 127.0.0.1 (0: a free one), its base URL in `url` (for a real client such as the CLI).
 * `opsVars`: the ops script's variables when they differ from the webhook script's (default:
 * the same `vars`).
 */
export async function startWorker({ vars = {}, opsVars = vars, rateLimit = 1000, kv = true, ledger = false, persist = false, ops = true, console: consoleObject = false, hub = false, assets = null, listen = false, port = null } = {}) {
  const logs = [];
  const worker = {
    ...workerService({
      name: 'receiver',
      vars,
      rateLimit,
      kv,
      // As deployed: the class in the ops script; without the built ops script, in a copy of it.
      ledger: ledger ? ledgerIn(ops === true ? OPS_NAME : LEDGER_HOST) : null,
      ops: ops !== false,
      assets,
    }),
    ...(port === null ? {} : { unsafeDirectSockets: [{ host: '127.0.0.1', port }] }),
  };
  const mf = new Miniflare({
    ...(listen ? { host: '127.0.0.1', port: 0 } : {}),
    handleStructuredLogs: ({ level, message }) => {
      logs.push({ level, message });
    },
    ...(persist ? { kvPersist: `${persist}/kv`, durableObjectsPersist: `${persist}/do` } : {}),
    workers: [
      worker,
      ...(ops === false ? [] : [opsService({ vars: opsVars, ledger: ledger && ops === true ? OWN_LEDGER : null, script: typeof ops === 'string' ? ops : null, console: consoleObject, hub })]),
      ...(ledger && ops !== true ? [opsService({ vars: opsVars, ledger: OWN_LEDGER, name: LEDGER_HOST })] : []),
      ...(kv === 'reads-fail' ? [{ name: 'failing-kv', modules: true, script: FAILING_KV }] : []),
    ],
  });
  const ready = await mf.ready;
  return {
    mf,
    logs,
    /** Where the Worker listens (`listen` or `port`), e.g. `http://127.0.0.1:40123`. */
    url: port !== null ? new URL(await mf.unsafeGetDirectURL('receiver')).origin : listen ? new URL(ready).origin : null,
    /** The JSON lines the Worker logged (one per request). */
    logLines: () => jsonLines(logs),
    /** The value of a key in the DEDUP namespace (null when absent). */
    kvGet: async (key) => (await mf.getKVNamespace('DEDUP')).get(key),
    kvPut: async (key, value, options) => (await mf.getKVNamespace('DEDUP')).put(key, value, options),
    ...client((url, init) => mf.dispatchFetch(url, init)),
    dispose: () => mf.dispose(),
  };
}

/**
 * The built Worker twice, as two named Workers ("location A" and "location B": two
 * isolates) sharing one KV namespace and, when `ledger` is true, one delivery ledger: the
 * EventLedger class of the ops script, which both bind by `scriptName` (as deployed).
 * `ledgerScript` (JS module source exporting `EventLedger`) replaces the class with a JS one,
 * hosted by a third Worker `ledger-js` that all bind by `scriptName`. `persist`: a directory
 * for KV and Durable Object storage, so that a second instance starts on the first one's state.
 * `listen`: each location also listens on its own port of 127.0.0.1 (`urls.a`, `urls.b`).
 */
export async function startLocations({ vars = {}, ledger = true, ledgerScript = null, kv = true, persist = false, listen = false } = {}) {
  const logs = [];
  const binding = ledgerScript ? { className: 'EventLedger', scriptName: 'ledger-js' } : ledger ? ledgerIn(OPS_NAME) : null;
  const workers = ['location-a', 'location-b'].map((name) => ({
    ...workerService({ name, vars, rateLimit: null, kv, ledger: binding }),
    ...(listen ? { unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }] } : {}),
  }));
  workers.push(opsService({ vars, ledger: ledgerScript ? binding : ledger ? OWN_LEDGER : null }));
  if (ledgerScript) {
    workers.push({
      name: 'ledger-js',
      modules: true,
      script: ledgerScript,
      compatibilityDate: COMPATIBILITY_DATE,
      durableObjects: { LEDGER: { className: 'EventLedger', useSQLite: true } },
    });
  }
  const mf = new Miniflare({
    handleStructuredLogs: ({ level, message }) => {
      logs.push({ level, message });
    },
    ...(persist ? { kvPersist: `${persist}/kv`, durableObjectsPersist: `${persist}/do` } : {}),
    workers,
  });
  await mf.ready;
  const a = await mf.getWorker('location-a');
  const b = await mf.getWorker('location-b');
  const url = async (name) => new URL('/webhooks', await mf.unsafeGetDirectURL(name)).href;
  return {
    mf,
    urls: listen ? { a: await url('location-a'), b: await url('location-b') } : null,
    logs,
    logLines: () => jsonLines(logs),
    a: client((url, init) => a.fetch(url, init)),
    b: client((url, init) => b.fetch(url, init)),
    kvPut: async (key, value, options) => (await mf.getKVNamespace('DEDUP', 'location-a')).put(key, value, options),
    /** What the ledger object that owns `id` holds for it: { row, live }. */
    lookup: async (id) => {
      const namespace = await mf.getDurableObjectNamespace('LEDGER', OPS_NAME);
      const stub = namespace.get(namespace.idFromName(`shard-${shardOf(id)}`));
      const response = await stub.fetch('https://ledger/lookup', { method: 'POST', body: JSON.stringify({ id }) });
      return response.json();
    },
    dispose: () => mf.dispose(),
  };
}

/** The ledger shard of an event id (src/receiver/ledger: SHA-256's first 8 bytes mod 16). */
export function shardOf(id) {
  const digest = createHash('sha256').update(id).digest();
  return Number(digest.readBigUInt64BE(0) % 16n);
}

/** Lowercase hex SHA-256 of a body. */
export const sha256 = (body) => createHash('sha256').update(body).digest('hex');
