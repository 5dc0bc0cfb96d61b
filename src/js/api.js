// The public JavaScript API. Every decision (signature checks, validation, replay window)
// is made by the wasm core; this file only normalises arguments, moves bytes into wasm
// memory and turns status numbers into errors. (One shortcut: an event whose text the
// core's pre-scan finds plain is read by JSON.parse and checked against the core's own shape
// tables, plain-event.js; anything in doubt goes to the core's validator, so the answers are
// its.) Each entry point (node, web, workerd) hands it the wasm-bindgen build it loaded,
// through useBindings().

import { checkedKeys } from './plain-event.js';

let wasm = null;
// The core's error codes, facts (coreFacts) and signature header names are read on first
// use, not at load: each first call into wasm costs start-up time (issue 20), and most
// processes never raise an error.
let codes = null;
let facts = null;
let headerNames = null;
let memory = null;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// A function that loads the module, when an entry point defers that to the first call that
// needs it (Node: compiling the module is most of the cost of `require`, issue 20).
let load = null;

/**
 * @internal Called once by each entry point with its loaded wasm-bindgen module, or with a
 * function returning it, which runs (once) when the package is first used.
 */
export function useBindings(bindingsOrLoad) {
  if (typeof bindingsOrLoad === 'function') {
    wasm = null;
    load = bindingsOrLoad;
    return;
  }
  load = null;
  wasm = bindingsOrLoad;
  codes = null;
  facts = null;
  headerNames = null;
  // The Memory object never changes; its buffer does when it grows (see areaFor()).
  memory = bindingsOrLoad.wasmMemory();
  area = new Uint8Array(0);
}

/** @internal The loaded wasm-bindgen module (the debugger page's glue uses it too). */
export function bindings() {
  if (wasm === null) {
    // Loaded here, before the caller writes anything into wasm memory and with no user code
    // in between; a loader that throws is tried again by the next call.
    if (load !== null) {
      useBindings(load());
      return wasm;
    }
    throw new WebhookError(
      'NOT_INITIALIZED',
      'digivault-webhooks is not initialised: call `await init()` once before using it in a browser',
    );
  }
  return wasm;
}

/**
 * The codes only this glue raises, with their HTTP status; the core's codes and statuses
 * come from its table (`coreFacts`). The `.d.ts` union is generated from both.
 */
export const JS_ERROR_CODES = Object.freeze({ BODY_ALREADY_PARSED: 500, NOT_INITIALIZED: 400, INVALID_REQUEST: 400 });

/** The core's facts: `{ statuses, maxPayloadBytes, dedupTtlSeconds }`; no statuses before init. */
function coreFacts() {
  if (facts === null && (wasm !== null || load !== null)) facts = bindings().coreFacts();
  return facts ?? { statuses: {} };
}

/** The core's defaults: `{ maxPayloadBytes, dedupTtlSeconds }` (1 MiB, 48 h). */
export function defaultLimits() {
  bindings();
  const { maxPayloadBytes, dedupTtlSeconds } = coreFacts();
  return { maxPayloadBytes, dedupTtlSeconds };
}

/** An error with a stable `code` (and a JSON `path` for invalid events). */
export class WebhookError extends Error {
  constructor(code, message, { path, status } = {}) {
    super(message);
    this.name = 'WebhookError';
    this.code = code;
    this.status = status ?? JS_ERROR_CODES[code] ?? coreFacts().statuses[code] ?? 400;
    if (path !== undefined) this.path = path;
  }
}

function lastError(status) {
  const info = wasm.takeError();
  if (info === undefined) {
    codes ??= wasm.errorCodes();
    return new WebhookError(codes[status - 1] ?? 'UNKNOWN', 'unknown failure');
  }
  return new WebhookError(info.code, info.message, info);
}

// ---- Moving inputs into wasm memory ---------------------------------------------------
//
// Every user callback (clock, header lookups, the payload's own accessors such as a
// subclass's byteLength) runs before the first write into the scratch area, and nothing
// between that write and the wasm call that reads it runs user code: a callback that calls
// this package cannot overwrite an input that is about to be checked.

// Payloads up to this size are copied into wasm memory whole: one copy, one call. Larger
// ones are hashed in chunks of this size, so a payload refused by its signature or by the
// limit never grows wasm memory (which never shrinks) by more than this.
const CHUNK_BYTES = 64 * 1024;
// A string piece of this many UTF-16 units encodes to at most CHUNK_BYTES (3 bytes each).
const CHUNK_UNITS = Math.floor(CHUNK_BYTES / 3);

const NodeBuffer = globalThis.Buffer;

function asBytes(payload) {
  // Only a genuine typed array passes isView (a Proxy of one does not): Uint8Array.set
  // copies from one without running user code.
  if (ArrayBuffer.isView(payload)) {
    return payload instanceof Uint8Array ? payload : new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  }
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  return null;
}

/** A payload for the chunked paths: a string, or a plain view whose accessors are the built-in ones. */
const plain = (payload) =>
  typeof payload === 'string' ? payload : new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);

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

/** Bytes a string takes in UTF-8, as encodeInto writes it (U+FFFD for a lone surrogate). */
function utf8Length(text) {
  if (NodeBuffer !== undefined) return NodeBuffer.byteLength(text, 'utf8');
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    bytes += unit < 0x800 ? 1 : 2;
    // A surrogate pair is 4 bytes: 1 per unit counted above, 2 here; skip its low half.
    if (isHighSurrogate(unit) && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
  }
  return bytes;
}

const isHighSurrogate = (unit) => (unit & 0xfc00) === 0xd800;

/** Room a payload needs in the area: encodeInto needs the worst case, 3 bytes per UTF-16 unit. */
const roomFor = (payload) => (typeof payload === 'string' ? payload.length * 3 : payload.byteLength);

/** Whether a payload is copied whole (small) rather than hashed in chunks. */
const isSmall = (payload) => roomFor(payload) <= CHUNK_BYTES;

/**
 * Throws PAYLOAD_TOO_LARGE, before anything is copied, when a payload is over `limit`. A
 * string longer than the limit in UTF-16 units is over it in UTF-8 too (reported at that
 * lower bound); a small string within it in units is measured by the core after the copy.
 */
function refuseOversized(core, limit, payload) {
  if (limit === undefined) return;
  let size = typeof payload === 'string' ? payload.length : payload.byteLength;
  if (size <= limit && typeof payload === 'string' && !isSmall(payload) && size * 3 > limit) {
    size = utf8Length(payload);
  }
  if (size > limit) throw lastError(core.checkLength(size));
}

// A view of the scratch area, kept across calls: it moves only when scratch() is asked for
// more room, and growing linear memory detaches the view's buffer (its length becomes 0),
// so it is rebuilt only then. One wasm call per verify instead of two, and no new view.
let area = new Uint8Array(0);

/** The scratch area with room for `bytes`; PAYLOAD_TOO_LARGE when wasm memory cannot give it. */
function areaFor(bytes) {
  if (bytes > area.byteLength || area.byteLength === 0) {
    const pointer = bindings().scratch(bytes); // may grow memory: read the buffer after it
    if (pointer === 0) {
      // The module gave up its old area to make room: never write through the old view.
      area = new Uint8Array(0);
      throw lastError(0);
    }
    area = new Uint8Array(memory.buffer, pointer, bytes);
  }
  return area;
}

/** Writes the signature at the start of an area with `room` more bytes after it; returns its length. */
function writeSignature(signature, room) {
  const target = areaFor(signature.length * 3 + room);
  return signature.length === 0 ? 0 : encoder.encodeInto(signature, target).written;
}

/**
 * Writes a payload at `offset` (with the room made by writeSignature); returns its length.
 * `room` is roomFor(payload), read before anything was written: for bytes, their length.
 */
function writePayload(payload, offset, room) {
  if (typeof payload === 'string') return encoder.encodeInto(payload, area.subarray(offset)).written;
  area.set(payload, offset);
  return room;
}

/**
 * Copies a payload whole into an area of its size (`size`: its UTF-8 length, when known),
 * not the 3 bytes per UTF-16 unit the worst case needs; returns its length.
 */
function writeWhole(payload, size) {
  if (typeof payload !== 'string') {
    const length = payload.byteLength;
    areaFor(length).set(payload);
    return length;
  }
  const target = areaFor(isSmall(payload) ? roomFor(payload) : (size ?? utf8Length(payload)));
  return encoder.encodeInto(payload, target).written;
}

/**
 * Feeds a payload (see plain()) to the hashing the core started, CHUNK_BYTES at a time;
 * returns its UTF-8 length.
 */
function hashInChunks(payload) {
  if (typeof payload !== 'string') {
    for (let at = 0; at < payload.length; at += CHUNK_BYTES) {
      const piece = payload.subarray(at, at + CHUNK_BYTES);
      areaFor(CHUNK_BYTES).set(piece);
      wasm.hashChunk(piece.length);
    }
    return payload.length;
  }
  let size = 0;
  for (let at = 0; at < payload.length; ) {
    let end = Math.min(at + CHUNK_UNITS, payload.length);
    // Never split a surrogate pair: each half alone would encode as U+FFFD.
    if (end < payload.length && isHighSurrogate(payload.charCodeAt(end - 1))) end -= 1;
    const written = encoder.encodeInto(payload.substring(at, end), areaFor(CHUNK_BYTES)).written;
    wasm.hashChunk(written);
    size += written;
    at = end;
  }
  return size;
}

/** The core's verdict (a status number) on a payload and signature, copying a small payload once. */
function verifyStatus(core, signature, payload) {
  const room = roomFor(payload);
  if (room <= CHUNK_BYTES) {
    const signatureLength = writeSignature(signature, room);
    return core.verify(signatureLength, writePayload(payload, signatureLength, room));
  }
  const whole = plain(payload);
  const status = core.startVerify(writeSignature(signature, 0));
  if (status !== 0) return status;
  hashInChunks(whole);
  return wasm.finishVerify();
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
  headerNames ??= wasm.signatureHeaders();
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

/** @internal A non-negative whole number option, or undefined. */
export function optionalCount(options, name) {
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
  #limit;

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
    this.#limit = maxPayload;
    this.maxPayloadBytes = maxPayload;
  }

  /** Throws a WebhookError unless `signatureOrHeaders` signs exactly `payload`. */
  verify(payload, signatureOrHeaders) {
    const checked = checkPayload(payload);
    const signature = findSignature(signatureOrHeaders);
    refuseOversized(this.#core, this.#limit, checked);
    const status = verifyStatus(this.#core, signature, checked);
    if (status !== 0) throw lastError(status);
  }

  /** Verifies, validates and returns the typed event; throws a WebhookError otherwise. */
  constructEvent(payload, signatureOrHeaders) {
    const checked = checkPayload(payload);
    const signature = findSignature(signatureOrHeaders);
    // The clock is user code too: read before anything is written into wasm memory.
    const now = nowSeconds(this.#clock);
    const core = this.#core;
    refuseOversized(core, this.#limit, checked);
    const room = roomFor(checked);
    let status;
    if (room <= CHUNK_BYTES) {
      const signatureLength = writeSignature(signature, room);
      const payloadLength = writePayload(checked, signatureLength, room);
      const keys = core.verifyPlain(signatureLength, payloadLength);
      if (keys < -1) throw lastError(-1 - keys);
      // Verified. As parseEvent: plain text is read by JSON.parse and checked against the
      // core's tables; anything else, and every failure, by the core's validator.
      const text = typeof checked === 'string' ? checked : decode(checked);
      const event = keys >= 0 ? parsedOrUndefined(text) : undefined;
      const checkedPlain = event !== undefined && checkedKeys(event) === keys;
      status = checkedPlain ? core.checkFreshness(event.created_at, now) : core.checkEvent(signatureLength, payloadLength, now);
      if (status !== 0) throw lastError(status);
      return event ?? JSON.parse(text);
    } else {
      // A large payload is copied whole, for validation, only once its signature matched.
      const whole = plain(checked);
      status = core.startVerify(writeSignature(signature, 0));
      if (status === 0) {
        const size = hashInChunks(whole);
        status = wasm.finishVerify();
        if (status === 0) status = core.checkEvent(0, writeWhole(whole, size), now);
      }
    }
    if (status !== 0) throw lastError(status);
    return JSON.parse(typeof checked === 'string' ? checked : decode(checked));
  }

  /** The expected signature of `payload` for each secret: for debugging only. */
  expectedSignatures(payload) {
    const whole = plain(checkPayload(payload));
    this.#core.startHashing();
    hashInChunks(whole);
    return wasm.finishHex();
  }
}

// ---- Functions ------------------------------------------------------------------------

/** Lowercase hex HMAC-SHA256 of the payload's bytes: the value of X-DigiVault-Signature. */
export function sign(secret, payload) {
  if (typeof secret !== 'string') throw new TypeError('secret must be a string');
  const whole = plain(checkPayload(payload));
  const w = bindings();
  w.startSigning(secret);
  hashInChunks(whole);
  return w.finishHex()[0];
}

// verify() is often called with the same secret on every request: keep a few cores so
// the HMAC key state is not recomputed each time.
const singleCores = new Map();
const listCores = new Map();
const CORE_CACHE_SIZE = 8;

function cachedCore(secretOrSecrets) {
  // The common case, one secret as a string, is looked up without building a key. A list's
  // key is its JSON: one key per list, whatever characters (NUL included) the secrets hold.
  const single = typeof secretOrSecrets === 'string';
  const cache = single ? singleCores : listCores;
  const secrets = single ? null : toSecrets(secretOrSecrets);
  const key = single ? secretOrSecrets : JSON.stringify(secrets);
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
  const status = verifyStatus(core, typeof signature === 'string' ? signature : '', checked);
  if (status !== 0) wasm.takeError();
  return status === 0;
}

/** Validates an event without verifying its signature; returns it or throws a WebhookError. */
export function parseEvent(payload) {
  const checked = checkPayload(payload);
  const w = bindings();
  const size = writeWhole(checked);
  const text = typeof checked === 'string' ? checked : decode(checked);
  // Plain text (most events) is read by JSON.parse alone and its value checked against the
  // core's tables; anything else, and every failure, by the core's validator.
  const keys = w.plainKeyCount(size);
  const event = keys >= 0 ? parsedOrUndefined(text) : undefined;
  if (event !== undefined && checkedKeys(event) === keys) return event;
  const status = w.validate(size);
  if (status !== 0) throw lastError(status);
  return event ?? JSON.parse(text);
}

/** JSON.parse's value, or undefined when the text is not JSON (the validator then says why). */
function parsedOrUndefined(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
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

/** @internal The payload limit when none is configured (the Express middleware's too): the core's. */
export function defaultMaxPayloadBytes() {
  return defaultLimits().maxPayloadBytes;
}

/** @internal */
export function payloadTooLarge(message) {
  return new WebhookError('PAYLOAD_TOO_LARGE', message);
}

/** The body's bytes, read with a count: reading stops (and the stream is cancelled) past `limit`. */
async function readLimited(body, limit) {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      reader.cancel().catch(() => {});
      throw payloadTooLarge(`payload too large: over ${limit} bytes`);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * Reads a Fetch API `Request` (Workers, Deno, Bun, Next.js route handlers, Hono's
 * `c.req.raw`), verifies it and returns the event. Throws a WebhookError, whose `status`
 * is the HTTP status to answer with. The body is read up to the Webhook's
 * `maxPayloadBytes` (1 MiB when it has none, or for a secret), never further.
 */
export async function verifyRequest(request, secretOrWebhook) {
  const webhook =
    secretOrWebhook instanceof Webhook
      ? secretOrWebhook
      : new Webhook(secretOrWebhook, { maxPayloadBytes: defaultMaxPayloadBytes() });
  if (request.bodyUsed) {
    throw new WebhookError(
      'BODY_ALREADY_PARSED',
      'the request body was already read: call verifyRequest before request.json() or request.text()',
    );
  }
  const limit = webhook.maxPayloadBytes ?? defaultMaxPayloadBytes();
  const declared = Number(request.headers.get('content-length'));
  if (declared > limit) throw payloadTooLarge(`payload too large: ${declared} bytes, the limit is ${limit}`);
  const body = await readLimited(request.body, limit);
  return webhook.constructEvent(body, request.headers);
}
