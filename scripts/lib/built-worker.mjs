// The BUILT Worker (build/index.js + build/index_bg.wasm) in real workerd through Miniflare,
// with the bindings a run asks for: what the Worker tests (tests/worker/helpers.mjs) and the
// chaos run (scripts/chaos.mjs) start. Needs `make build-worker`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { signBody } from '../../src/js/sender.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SECRET = 'whsec_test_current_0123456789';
export const COMPATIBILITY_DATE = '2026-04-20';

const SCRIPT = `${ROOT}build/index.js`;
if (!existsSync(SCRIPT)) {
  throw new Error('build/index.js is missing: run `make build-worker` first');
}

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
 * The built Worker in workerd. `vars` become plain-text bindings (as [vars] and secrets
 * do); `rateLimit` is the RATE_LIMITER binding's limit per 60 s, which counts failed requests
 * per address (null: no binding); `kv`:
 * true (a local KV namespace), false (no DEDUP binding) or 'reads-fail'.
 */
export async function startWorker({ vars = {}, rateLimit = 1000, kv = true } = {}) {
  const logs = [];
  const worker = {
    scriptPath: SCRIPT,
    modules: true,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: COMPATIBILITY_DATE,
    kvNamespaces: kv === true ? ['DEDUP'] : [],
    ...(kv === 'reads-fail' ? { wrappedBindings: { DEDUP: 'failing-kv' } } : {}),
    ...(rateLimit === null ? {} : { ratelimits: { RATE_LIMITER: { simple: { limit: rateLimit, period: 60 } } } }),
    bindings: vars,
  };
  const mf = new Miniflare({
    handleStructuredLogs: ({ level, message }) => {
      logs.push({ level, message });
    },
    workers: kv === 'reads-fail' ? [worker, { name: 'failing-kv', modules: true, script: FAILING_KV }] : [worker],
  });
  await mf.ready;
  return {
    mf,
    logs,
    /** The JSON lines the Worker logged (one per request). */
    logLines: () =>
      logs.flatMap(({ message }) => {
        try {
          const value = JSON.parse(message);
          return value && typeof value === 'object' && 'outcome' in value ? [value] : [];
        } catch {
          return [];
        }
      }),
    /** The value of a key in the DEDUP namespace (null when absent). */
    kvGet: async (key) => (await mf.getKVNamespace('DEDUP')).get(key),
    kvPut: async (key, value, options) => (await mf.getKVNamespace('DEDUP')).put(key, value, options),
    fetch: (path, init) => mf.dispatchFetch(`http://receiver.test${path}`, init),
    /** POSTs a body signed with `secret` (null: no signature) under `header`. */
    post: (body, { secret = SECRET, header = 'X-DigiVault-Signature', path = '/webhooks', headers = {} } = {}) =>
      mf.dispatchFetch(`http://receiver.test${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(secret === null ? {} : { [header]: sign(body, secret) }),
          ...headers,
        },
        body,
      }),
    dispose: () => mf.dispose(),
  };
}
