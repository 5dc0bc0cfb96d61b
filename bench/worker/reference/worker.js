// The reference: the same receiver written by hand the way a user would, in plain JS with
// WebCrypto: rate limit, size limit, HMAC verify (keys imported once per isolate), JSON
// checks, the same KV dedup (done marker + in-flight lease), forward with a timeout, and one
// JSON log line per request. Used only by the benchmarks (bench/worker/).
// With a `LEDGER` binding (bench/worker/reference/ledger.js) it deduplicates as the Rust
// Worker does instead: a claim in the id's shard (the same 16 shards, the same requests over
// the same RPC method), a done mark after the origin's 2xx, a release after a failure: the
// same exactly-once guarantee, written by hand.
const encoder = new TextEncoder();
let keys;
let keysFor;

async function verifyKeys(env) {
  const secrets = [env.WEBHOOK_SECRET, env.WEBHOOK_SECRET_PREVIOUS].filter(Boolean);
  const id = secrets.join('\n');
  if (keysFor !== id) {
    keys = await Promise.all(
      secrets.map((secret) =>
        crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']),
      ),
    );
    keysFor = id;
  }
  return keys;
}

function hexToBytes(hex) {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return null;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

const reply = (status, body, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const error = (status, code, headers) => reply(status, { status: 'error', code }, headers);

// The same flood guard as the Rust Worker: only failed signatures are counted; an address
// over the limit is refused for 60 s by this isolate, before its body is read.
const blocked = new Map();

async function handle(request, env, log) {
  const ip = request.headers.get('cf-connecting-ip') ?? 'unknown';
  const until = blocked.get(ip) ?? 0;
  if (until > Date.now()) return error(429, 'RATE_LIMITED', { 'retry-after': String(Math.ceil((until - Date.now()) / 1000)) });
  const response = await route(request, env, log);
  if (response.status === 401) {
    const { success } = await env.RATE_LIMITER.limit({ key: ip });
    if (!success) blocked.set(ip, Date.now() + 60_000);
  }
  return response;
}

async function route(request, env, log) {
  const url = new URL(request.url);
  if (url.pathname === '/health') return reply(200, { status: 'ok' });
  if (url.pathname !== '/webhooks') return error(404, 'NOT_FOUND');
  if (request.method !== 'POST') return error(405, 'METHOD_NOT_ALLOWED', { allow: 'POST' });

  const max = Number(env.MAX_BODY_BYTES ?? 1048576);
  if (Number(request.headers.get('content-length') ?? 0) > max) return error(413, 'PAYLOAD_TOO_LARGE');
  const body = new Uint8Array(await request.arrayBuffer());
  if (body.length > max) return error(413, 'PAYLOAD_TOO_LARGE');

  const header = request.headers.has('x-digivault-signature') ? 'x-digivault-signature' : 'x-bitvault-signature';
  const signature = request.headers.get(header);
  if (!signature) return error(401, 'MISSING_SIGNATURE');
  const tag = hexToBytes(signature.trim());
  if (!tag) return error(401, 'MALFORMED_SIGNATURE');
  const results = await Promise.all((await verifyKeys(env)).map((key) => crypto.subtle.verify('HMAC', key, tag, body)));
  if (!results.includes(true)) return error(401, 'INVALID_SIGNATURE');

  let event;
  try {
    event = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return error(400, 'INVALID_JSON');
  }
  if (
    typeof event?.id !== 'string' ||
    event.id === '' ||
    typeof event.type !== 'string' ||
    !Number.isInteger(event.created_at) ||
    typeof event.data?.object !== 'object' ||
    event.data.object === null
  ) {
    return error(400, 'INVALID_EVENT');
  }
  log.event_id = event.id;
  log.event_type = event.type;

  const dedup = env.LEDGER ? await claimInLedger(env, event, body) : await claimInKv(env, event.id);
  if (dedup.answer) return dedup.answer;

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Number(env.FORWARD_TIMEOUT_MS ?? 25000));
  let response;
  try {
    response = await fetch(env.FORWARD_URL, {
      method: 'POST',
      body,
      redirect: 'manual',
      signal: controller.signal,
      headers: {
        'content-type': request.headers.get('content-type') ?? 'application/json',
        [header]: signature,
        'x-digivault-event-id': encodeURIComponent(event.id),
        'x-digivault-event-type': encodeURIComponent(event.type),
      },
    });
  } catch (err) {
    await dedup.release();
    return controller.signal.aborted ? error(504, 'ORIGIN_TIMEOUT') : error(502, 'ORIGIN_UNREACHABLE');
  } finally {
    clearTimeout(timer);
  }
  if (response.status >= 200 && response.status < 300) {
    await dedup.done();
    return reply(200, { status: 'forwarded' });
  }
  await dedup.release();
  return error(502, 'ORIGIN_ERROR');
}

// KV: a done marker and an in-flight lease, best effort (forwards when KV fails).
async function claimInKv(env, id) {
  const done = `done:${id}`;
  const lease = `lease:${id}`;
  let state = [null, null];
  try {
    state = await Promise.all([env.DEDUP.get(done), env.DEDUP.get(lease)]);
  } catch {
    // forward anyway
  }
  if (state[0] !== null) return { answer: reply(200, { status: 'duplicate' }) };
  if (state[1] !== null) return { answer: error(409, 'IN_FLIGHT', { 'retry-after': '25' }) };
  await env.DEDUP.put(lease, '1', { expirationTtl: 60 }).catch(() => {});
  return {
    done: () =>
      env.DEDUP.put(done, String(Math.floor(Date.now() / 1000)), { expirationTtl: Number(env.DEDUP_TTL_SECONDS ?? 172800) }).catch(() => {}),
    release: () => env.DEDUP.delete(lease).catch(() => {}),
  };
}

const sha256 = (bytes) => crypto.subtle.digest('SHA-256', bytes);
const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');

// The ledger: exactly once across isolates; unavailable is a 503 (DigiVault retries), as in
// the Rust Worker. Shard: the id's SHA-256, first 8 bytes big-endian, modulo 16.
async function claimInLedger(env, event, body) {
  const [idHash, bodyHash] = await Promise.all([sha256(encoder.encode(event.id)), sha256(body)]);
  const shard = new DataView(idHash).getBigUint64(0) % 16n;
  const ledger = env.LEDGER.get(env.LEDGER.idFromName(`shard-${shard}`));
  const ask = async (op, request) => JSON.parse(await ledger.answer(`/${op}`, encoder.encode(JSON.stringify(request))));
  const id = event.id;
  const body_sha256 = hex(bodyHash);
  const done_ttl_ms = Number(env.DEDUP_TTL_SECONDS ?? 172800) * 1000;
  let claim;
  try {
    claim = await ask('claim', { id, body_sha256, lease_ms: Number(env.FORWARD_TIMEOUT_MS ?? 25000) + 5000, done_ttl_ms, event_type: event.type });
  } catch {
    return { answer: error(503, 'LEDGER_UNAVAILABLE', { 'retry-after': '5' }) };
  }
  if (claim.outcome === 'done') return { answer: reply(200, { status: 'duplicate' }) };
  if (claim.outcome === 'in_flight') return { answer: error(409, 'IN_FLIGHT', { 'retry-after': '25' }) };
  if (claim.outcome !== 'claimed') return { answer: error(409, 'CONFLICTING_DUPLICATE') };
  return {
    done: () => ask('done', { id, body_sha256, done_ttl_ms }).catch(() => {}),
    release: () => ask('release', { id, token: claim.token }).catch(() => {}),
  };
}

export default {
  async fetch(request, env) {
    const started = Date.now();
    const log = {};
    const response = await handle(request, env, log);
    console.log(JSON.stringify({ ...log, status: response.status, duration_ms: Date.now() - started }));
    return response;
  },
};
