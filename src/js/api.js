// The public JavaScript API. Every decision (signature checks, validation, replay window)
// is made by the wasm core; this file only normalises arguments, moves bytes into wasm
// memory and turns status numbers into errors. Each entry point (node, web, workerd)
// hands it the wasm-bindgen build it loaded, through useBindings().

let wasm = null;
let codes = [];
let headerNames = [];
let memory = null;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** @internal Called once by each entry point with its loaded wasm-bindgen module. */
export function useBindings(bindings) {
  wasm = bindings;
  codes = bindings.errorCodes();
  headerNames = bindings.signatureHeaders();
  // The Memory object never changes; its buffer does when it grows (see write()).
  memory = bindings.wasmMemory();
  area = new Uint8Array(0);
}

/** @internal The loaded wasm-bindgen module (the debugger page's glue uses it too). */
export function bindings() {
  if (wasm === null) {
    throw new WebhookError(
      'NOT_INITIALIZED',
      'digivault-webhooks is not initialised: call `await init()` once before using it in a browser',
    );
  }
  return wasm;
}

/** An error with a stable `code` (and a JSON `path` for invalid events). */
export class WebhookError extends Error {
  constructor(code, message, { path, status } = {}) {
    super(message);
    this.name = 'WebhookError';
    this.code = code;
    this.status = status ?? 400;
    if (path !== undefined) this.path = path;
  }
}

function lastError(status) {
  const info = wasm.takeError();
  if (info === undefined) return new WebhookError(codes[status - 1] ?? 'UNKNOWN', 'unknown failure');
  return new WebhookError(info.code, info.message, info);
}

// ---- Moving inputs into wasm memory ---------------------------------------------------

function asBytes(payload) {
  if (payload instanceof Uint8Array) return payload;
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  if (ArrayBuffer.isView(payload)) return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  return null;
}

const NodeBuffer = globalThis.Buffer;

/** UTF-8 bytes to text; Node's Buffer decoder is faster than TextDecoder there. */
function decode(bytes) {
  return NodeBuffer !== undefined && NodeBuffer.isBuffer(bytes) ? bytes.toString('utf8') : decoder.decode(bytes);
}

function checkPayload(payload) {
  if (typeof payload === 'string') return payload;
  const bytes = asBytes(payload);
  if (bytes !== null) return bytes;
  throw new TypeError(
    payload !== null && typeof payload === 'object'
      ? 'payload must be the raw request body (string, Buffer or Uint8Array), not a parsed object: ' +
        'JSON.stringify does not give back the bytes DigiVault signed'
      : `payload must be a string, Buffer or Uint8Array, not ${payload === null ? 'null' : typeof payload}`,
  );
}

let signatureLength = 0;
// A view of the scratch area, kept across calls: it moves only when scratch() is asked for
// more room, and growing linear memory detaches the view's buffer (its length becomes 0),
// so it is rebuilt only then. One wasm call per verify instead of two, and no new view.
let area = new Uint8Array(0);

/** Writes signature then payload into the scratch area; returns the payload's length. */
function write(signature, payload) {
  const w = bindings();
  const isString = typeof payload === 'string';
  // encodeInto needs room for the worst case: 3 bytes per UTF-16 unit.
  const room = signature.length * 3 + (isString ? payload.length * 3 : payload.byteLength);
  if (room > area.byteLength || area.byteLength === 0) {
    const pointer = w.scratch(room); // may grow memory: read the buffer after it
    area = new Uint8Array(memory.buffer, pointer, room);
  }
  signatureLength = signature.length === 0 ? 0 : encoder.encodeInto(signature, area).written;
  if (isString) return encoder.encodeInto(payload, area.subarray(signatureLength)).written;
  area.set(payload, signatureLength);
  return payload.byteLength;
}

// ---- Headers --------------------------------------------------------------------------

/**
 * The signature from a header value, a Fetch `Headers`, or a Node-style headers object;
 * the canonical `X-DigiVault-Signature` first, then the legacy `X-BitVault-Signature`.
 */
export function findSignature(signatureOrHeaders) {
  bindings();
  if (signatureOrHeaders === undefined || signatureOrHeaders === null) return '';
  if (typeof signatureOrHeaders === 'string') return signatureOrHeaders;
  if (typeof signatureOrHeaders.get === 'function') {
    for (const name of headerNames) {
      const value = signatureOrHeaders.get(name);
      if (value !== null && value !== undefined) return String(value);
    }
    return '';
  }
  if (typeof signatureOrHeaders === 'object') {
    for (const name of headerNames) {
      let value = signatureOrHeaders[name];
      if (value === undefined) {
        const key = Object.keys(signatureOrHeaders).find((k) => k.toLowerCase() === name);
        value = key === undefined ? undefined : signatureOrHeaders[key];
      }
      // Several values for one header cannot all be the signature: joined, they are malformed.
      if (Array.isArray(value)) return value.join(',');
      if (value !== undefined && value !== null) return String(value);
    }
    return '';
  }
  throw new TypeError('signatureOrHeaders must be a header value, a Headers object or a headers object');
}

// ---- Webhook --------------------------------------------------------------------------

/**
 * @internal The secrets as a list of strings. Missing entries (`undefined`, `null`, `''`: an
 * unset environment variable) are skipped, so `[env.A, env.B]` works; the core answers
 * NO_SECRET when none remain.
 */
export function toSecrets(secretOrSecrets) {
  const secrets = Array.isArray(secretOrSecrets) ? secretOrSecrets : [secretOrSecrets];
  for (const secret of secrets) {
    if (typeof secret !== 'string' && secret !== undefined && secret !== null) {
      throw new TypeError('each secret must be a string (the secret shown in the DigiVault dashboard)');
    }
  }
  return secrets.filter((secret) => typeof secret === 'string' && secret !== '');
}

function optionalCount(options, name) {
  const value = options[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative number, got ${String(value)}`);
  }
  return Math.floor(value);
}

function nowSeconds(clock) {
  const now = clock();
  const millis = now instanceof Date ? now.getTime() : now;
  if (typeof millis !== 'number' || !Number.isFinite(millis)) {
    throw new TypeError('options.now must return a Date or milliseconds since the epoch');
  }
  return Math.floor(millis / 1000);
}

function createCore(secrets, tolerance, maxPayload) {
  const core = bindings().WebhookCore.create(secrets, tolerance, maxPayload);
  if (core === undefined) throw lastError(1);
  return core;
}

/** A configured receiver: build it once at start-up, then verify every delivery with it. */
export class Webhook {
  #core;
  #clock;

  /**
   * @param secretOrSecrets the secret, or [current, previous] during a rotation
   * @param options toleranceSeconds (replay window, off by default), maxPayloadBytes,
   *   now (a clock returning a Date or epoch milliseconds; defaults to Date.now)
   */
  constructor(secretOrSecrets, options = {}) {
    const tolerance = optionalCount(options, 'toleranceSeconds');
    const maxPayload = optionalCount(options, 'maxPayloadBytes');
    this.#clock = options.now ?? Date.now;
    if (typeof this.#clock !== 'function') throw new TypeError('options.now must be a function');
    this.#core = createCore(toSecrets(secretOrSecrets), tolerance, maxPayload);
    this.maxPayloadBytes = maxPayload;
  }

  /** Throws a WebhookError unless `signatureOrHeaders` signs exactly `payload`. */
  verify(payload, signatureOrHeaders) {
    const checked = checkPayload(payload);
    const signature = findSignature(signatureOrHeaders);
    const length = write(signature, checked);
    const status = this.#core.verify(signatureLength, length);
    if (status !== 0) throw lastError(status);
  }

  /** Verifies, validates and returns the typed event; throws a WebhookError otherwise. */
  constructEvent(payload, signatureOrHeaders) {
    const checked = checkPayload(payload);
    const signature = findSignature(signatureOrHeaders);
    const length = write(signature, checked);
    const status = this.#core.construct(signatureLength, length, nowSeconds(this.#clock));
    if (status !== 0) throw lastError(status);
    return JSON.parse(typeof checked === 'string' ? checked : decode(checked));
  }

  /** The expected signature of `payload` for each secret: for debugging only. */
  expectedSignatures(payload) {
    const length = write('', checkPayload(payload));
    return this.#core.expectedSignatures(length);
  }
}

// ---- Functions ------------------------------------------------------------------------

/** Lowercase hex HMAC-SHA256 of the payload's bytes: the value of X-DigiVault-Signature. */
export function sign(secret, payload) {
  if (typeof secret !== 'string') throw new TypeError('secret must be a string');
  const length = write('', checkPayload(payload));
  return wasm.sign(secret, length);
}

// verify() is often called with the same secret on every request: keep a few cores so
// the HMAC key state is not recomputed each time.
const singleCores = new Map();
const listCores = new Map();
const CORE_CACHE_SIZE = 8;

function cachedCore(secretOrSecrets) {
  // The common case, one secret as a string, is looked up without building a key.
  const single = typeof secretOrSecrets === 'string';
  const cache = single ? singleCores : listCores;
  const secrets = single ? null : toSecrets(secretOrSecrets);
  const key = single ? secretOrSecrets : secrets.join('\u0000') + '\u0000' + secrets.length;
  let core = cache.get(key);
  if (core === undefined) {
    core = createCore(secrets ?? toSecrets(secretOrSecrets));
    if (cache.size >= CORE_CACHE_SIZE) cache.delete(cache.keys().next().value);
    cache.set(key, core);
  }
  return core;
}

/**
 * True when `signature` signs exactly `payload` with one of the secrets. Returns false,
 * never throws, for a missing, malformed or wrong signature.
 */
export function verify(secretOrSecrets, payload, signature) {
  const checked = checkPayload(payload);
  const core = cachedCore(secretOrSecrets);
  const length = write(typeof signature === 'string' ? signature : '', checked);
  const status = core.verify(signatureLength, length);
  if (status !== 0) wasm.takeError();
  return status === 0;
}

/** Validates an event without verifying its signature; returns it or throws a WebhookError. */
export function parseEvent(payload) {
  const checked = checkPayload(payload);
  const status = bindings().validate(write('', checked));
  if (status !== 0) throw lastError(status);
  return JSON.parse(typeof checked === 'string' ? checked : decode(checked));
}

/**
 * A sample event body (a JSON string) of one of the sixteen types: what the dashboard's
 * "Send test webhook" sends. `options.id` and `options.createdAt` (Unix seconds) override
 * the deterministic defaults.
 */
export function sampleEvent(type, options = {}) {
  const body = bindings().sampleEvent(String(type), options.id, options.createdAt);
  if (body === undefined) throw lastError(1);
  return body;
}

let knownTypes = null;

/** Whether `event.type` is one of the sixteen known types (a type guard in TypeScript). */
export function isKnownEvent(event) {
  knownTypes ??= new Set(bindings().eventTypes().map(([type]) => type));
  return knownTypes.has(event?.type);
}

/** The sixteen event types with the guide's description and their object's type name. */
export function eventTypes() {
  return bindings().eventTypes().map(([type, description, object]) => ({ type, description, object }));
}

/** @internal For the debugger page's glue (debugger.js): a payload as bytes. */
export function asBytesOrEncode(payload) {
  const checked = checkPayload(payload);
  return typeof checked === 'string' ? encoder.encode(checked) : asBytes(checked);
}

// ---- Fetch API runtimes ---------------------------------------------------------------

/**
 * Reads a Fetch API `Request` (Workers, Deno, Bun, Next.js route handlers, Hono's
 * `c.req.raw`), verifies it and returns the event. Throws a WebhookError, whose `status`
 * is the HTTP status to answer with.
 */
export async function verifyRequest(request, secretOrWebhook) {
  const webhook = secretOrWebhook instanceof Webhook ? secretOrWebhook : new Webhook(secretOrWebhook);
  if (request.bodyUsed) {
    throw new WebhookError(
      'BODY_ALREADY_PARSED',
      'the request body was already read: call verifyRequest before request.json() or request.text()',
      { status: 500 },
    );
  }
  const limit = webhook.maxPayloadBytes;
  const declared = Number(request.headers.get('content-length'));
  if (limit !== undefined && declared > limit) {
    throw new WebhookError('PAYLOAD_TOO_LARGE', `payload too large: ${declared} bytes, the limit is ${limit}`, {
      status: 413,
    });
  }
  const body = new Uint8Array(await request.arrayBuffer());
  return webhook.constructEvent(body, request.headers);
}
