// The delivery engine of the sender simulator: what DigiVault does with each event. Signs
// the body with HMAC-SHA256 (node:crypto, on purpose: independent of the verifier under
// test) and POSTs it; a non-2xx answer or no answer within 30 s is retried after 1 min,
// 5 min, 15 min, 1 h and 6 h, then given up. `timeScale` divides that schedule (not the
// response timeout) for tests.
//
// Imported by the CLI (cli.js, `digivault-webhooks send`) and by scripts/chaos.mjs. Needs
// no wasm: the package's samples are loaded by the CLI only.
import { createHmac } from 'node:crypto';

/** DigiVault's retry delays, in ms, after each failed attempt (5 retries, 6 attempts). */
export const RETRY_SCHEDULE_MS = Object.freeze([60_000, 300_000, 900_000, 3_600_000, 21_600_000]);
/** DigiVault's response timeout. */
export const RESPONSE_TIMEOUT_MS = 30_000;
export const SIGNATURE_HEADER = 'X-DigiVault-Signature';
export const LEGACY_SIGNATURE_HEADER = 'X-BitVault-Signature';

/** Lowercase hex HMAC-SHA256 of `body` (string or bytes): the signature header's value. */
export function signBody(secret, body) {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * The headers of a delivery of `body`: signed with `secret` under `header`, unless
 * `signature` overrides the value (null: no signature header at all).
 */
export function deliveryHeaders({ secret, body, header = SIGNATURE_HEADER, signature }) {
  const value = signature === undefined ? signBody(secret, body) : signature;
  const headers = { 'content-type': 'application/json', 'user-agent': 'digivault-webhooks-simulator' };
  if (value !== null) headers[header] = value;
  return headers;
}

/** `text` parsed as JSON, or undefined when it is not JSON. */
export function jsonOrUndefined(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Why a fetch() failed without an answer, as short as it can say it (e.g. 'ECONNREFUSED'). */
export function fetchErrorCode(err) {
  return String(err?.cause?.code ?? err?.cause?.errors?.[0]?.code ?? err?.message ?? err);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One HTTP attempt. Resolves to { status, json } or { error: 'timeout' | message }; a
 * response only counts once its body has arrived within the timeout.
 */
async function attempt(url, body, headers, timeoutMs, fetchImpl) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetchImpl(url, { method: 'POST', headers, body, signal: controller.signal });
    return { status: response.status, json: jsonOrUndefined(await response.text()) };
  } catch (err) {
    return { error: controller.signal.aborted ? 'timeout' : fetchErrorCode(err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Delivers one body with DigiVault's retries. Options: url, secret, body (string or bytes),
 * header ('X-DigiVault-Signature' by default), signature (overrides the computed one; null
 * sends none), timeScale, timeoutMs, fetch (defaults to the global one).
 * Resolves to { delivered, started, attempts: [{ status?, error?, json?, at, ms }] }: `started`
 * is performance.now() when the delivery began, `at` ms since then, `ms` the attempt's time.
 */
export async function deliver({ url, secret, body, header, signature, timeScale = 1, timeoutMs = RESPONSE_TIMEOUT_MS, fetch: fetchImpl = globalThis.fetch }) {
  const headers = deliveryHeaders({ secret, body, header, signature });
  const started = performance.now();
  const attempts = [];
  for (let retry = 0; ; retry++) {
    const at = performance.now() - started;
    const result = await attempt(url, body, headers, timeoutMs, fetchImpl);
    attempts.push({ ...result, at, ms: performance.now() - started - at });
    if (result.status >= 200 && result.status < 300) return { delivered: true, started, attempts };
    if (retry === RETRY_SCHEDULE_MS.length) return { delivered: false, started, attempts };
    await sleep(RETRY_SCHEDULE_MS[retry] / timeScale);
  }
}

/** Runs `task(i)` for i in 0..n with at most `limit` running at once. */
async function pool(n, limit, task) {
  let next = 0;
  const worker = async () => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

/** The CLI's JSON summary of `results` (per event: { deliveries }). */
function summarize(url, results) {
  const summary = {
    url,
    events: results.length,
    deliveries: 0,
    delivered: 0,
    failed: 0,
    attempts: 0,
    retries: 0,
    responses: {},
    receiver_status: {},
    events_failed: 0,
    duration_ms: 0,
  };
  for (const { deliveries } of results) {
    let eventFailed = false;
    for (const { delivered, attempts } of deliveries) {
      summary.deliveries++;
      summary[delivered ? 'delivered' : 'failed']++;
      eventFailed ||= !delivered;
      summary.attempts += attempts.length;
      summary.retries += attempts.length - 1;
      for (const { status, error, json } of attempts) {
        const key = status ?? error;
        summary.responses[key] = (summary.responses[key] ?? 0) + 1;
        if (typeof json?.status === 'string') summary.receiver_status[json.status] = (summary.receiver_status[json.status] ?? 0) + 1;
      }
    }
    if (eventFailed) summary.events_failed++;
  }
  return summary;
}

/**
 * Sends `events` (an array of bodies), each delivered 1 + duplicates times (the duplicates
 * after the first delivery is over, or alongside it when concurrentDuplicates), with at
 * most `concurrency` events in flight. Other options go to deliver(). Resolves to the
 * summary printed by the CLI, plus `results` (per event: { body, deliveries }) when
 * `keepResults` is set.
 */
export async function send({ events, duplicates = 0, concurrentDuplicates = false, concurrency = 8, keepResults = false, ...options }) {
  const started = performance.now();
  const results = new Array(events.length);
  await pool(events.length, concurrency, async (i) => {
    const body = events[i];
    const one = () => deliver({ ...options, body });
    let deliveries;
    if (concurrentDuplicates) {
      deliveries = await Promise.all(Array.from({ length: 1 + duplicates }, one));
    } else {
      deliveries = [];
      for (let k = 0; k <= duplicates; k++) deliveries.push(await one());
    }
    results[i] = { body, deliveries };
  });
  const summary = summarize(options.url, results);
  summary.duration_ms = Math.round(performance.now() - started);
  if (keepResults) summary.results = results;
  return summary;
}
