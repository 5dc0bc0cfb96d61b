#!/usr/bin/env node
// digivault-webhooks send: a DigiVault sender simulator, the local equivalent of the
// dashboard's "Send test webhook". Signs each body with HMAC-SHA256 (node:crypto, so it is
// independent of the verifier under test) and POSTs it the way DigiVault does: a non-2xx
// answer or no answer within 30 s is retried after 1 min, 5 min, 15 min, 1 h and 6 h, then
// given up. `--time-scale` divides that schedule (not the response timeout) for tests.
//
// Also a module: `deliver()` and `send()` are what scripts/chaos.mjs drives.
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** DigiVault's retry delays, in ms, after each failed attempt (5 retries, 6 attempts). */
export const RETRY_SCHEDULE_MS = Object.freeze([60_000, 300_000, 900_000, 3_600_000, 21_600_000]);
/** DigiVault's response timeout. */
export const RESPONSE_TIMEOUT_MS = 30_000;
export const SIGNATURE_HEADER = 'X-DigiVault-Signature';
export const LEGACY_SIGNATURE_HEADER = 'X-BitVault-Signature';

const USAGE = `Usage: digivault-webhooks send --url URL --secret SECRET [options]

Sends signed DigiVault webhook events to URL the way DigiVault does, then prints a JSON summary.

  --url URL                 where to POST (required)
  --secret SECRET           the webhook secret to sign with (required; or DIGIVAULT_WEBHOOK_SECRET)
  --type TYPE               a sample event of this type (default conversation.message.created;
                            "all" cycles through the sixteen types)
  --file FILE               send this file's bytes verbatim instead of a sample event
  --count N                 events to send (default 1); sample events get distinct ids
  --duplicates K            deliver each event K more times, once the first delivery is over
  --concurrent-duplicates   start the K duplicate deliveries at the same time as the first
  --concurrency C           events in flight at once (default 8)
  --time-scale X            divide the retry schedule (1m, 5m, 15m, 1h, 6h) by X (default 1)
  --timeout-ms MS           response timeout (default 30000, not scaled)
  --header legacy           sign in X-BitVault-Signature instead of X-DigiVault-Signature

Exit status: 0 when every delivery got a 2xx, 1 when one was given up, 2 on bad usage.`;

/** Lowercase hex HMAC-SHA256 of `body` (string or bytes): the signature header's value. */
export function signBody(secret, body) {
  return createHmac('sha256', secret).update(body).digest('hex');
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
    const text = await response.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, json };
  } catch (err) {
    return { error: controller.signal.aborted ? 'timeout' : String(err?.cause?.code ?? err?.cause?.errors?.[0]?.code ?? err?.message ?? err) };
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
export async function deliver({
  url,
  secret,
  body,
  header = SIGNATURE_HEADER,
  signature,
  timeScale = 1,
  timeoutMs = RESPONSE_TIMEOUT_MS,
  fetch: fetchImpl = globalThis.fetch,
}) {
  const value = signature === undefined ? signBody(secret, body) : signature;
  const headers = { 'content-type': 'application/json', 'user-agent': 'digivault-webhooks-simulator' };
  if (value !== null) headers[header] = value;
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
  const summary = {
    url: options.url,
    events: events.length,
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
  summary.duration_ms = Math.round(performance.now() - started);
  if (keepResults) summary.results = results;
  return summary;
}

/** Parses `send` options; throws a TypeError with a message for the user. */
export function parseArgs(argv) {
  const flags = new Set(['--concurrent-duplicates', '--help', '-h']);
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-')) throw new TypeError(`unexpected argument ${arg}`);
    const [name, inline] = arg.split(/=(.*)/s, 2);
    if (flags.has(name)) {
      options[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new TypeError(`${name} needs a value`);
    options[name] = value;
  }
  const known = ['--url', '--secret', '--type', '--file', '--count', '--duplicates', '--concurrency', '--time-scale', '--timeout-ms', '--header'];
  for (const name of Object.keys(options)) {
    if (!flags.has(name) && !known.includes(name)) throw new TypeError(`unknown option ${name}`);
  }
  if (options['--help'] || options['-h']) return { help: true };
  const number = (name, fallback, min) => {
    if (options[name] === undefined) return fallback;
    const value = Number(options[name]);
    if (!Number.isFinite(value) || value < min) throw new TypeError(`${name} must be a number >= ${min}`);
    return value;
  };
  const integer = (name, fallback, min) => {
    const value = number(name, fallback, min);
    if (!Number.isInteger(value)) throw new TypeError(`${name} must be a whole number`);
    return value;
  };
  const url = options['--url'];
  if (!url || !/^https?:\/\//.test(url)) throw new TypeError('--url must be an http:// or https:// URL');
  const secret = options['--secret'] ?? process.env.DIGIVAULT_WEBHOOK_SECRET;
  if (!secret) throw new TypeError('--secret is required (or set DIGIVAULT_WEBHOOK_SECRET)');
  if (options['--type'] !== undefined && options['--file'] !== undefined) throw new TypeError('use --type or --file, not both');
  const header = options['--header'];
  if (header !== undefined && header !== 'legacy' && header !== 'current') throw new TypeError('--header must be legacy or current');
  const timeScale = number('--time-scale', 1, Number.MIN_VALUE);
  if (timeScale <= 0) throw new TypeError('--time-scale must be > 0');
  return {
    url,
    secret,
    type: options['--type'] ?? (options['--file'] === undefined ? 'conversation.message.created' : undefined),
    file: options['--file'],
    count: integer('--count', 1, 1),
    duplicates: integer('--duplicates', 0, 0),
    concurrentDuplicates: options['--concurrent-duplicates'] === true,
    concurrency: integer('--concurrency', 8, 1),
    timeScale,
    timeoutMs: integer('--timeout-ms', RESPONSE_TIMEOUT_MS, 1),
    header: header === 'legacy' ? LEGACY_SIGNATURE_HEADER : SIGNATURE_HEADER,
  };
}

/** The bodies to send: the file's bytes `count` times, or `count` sample events. */
export async function eventBodies({ type, file, count }) {
  if (file !== undefined) {
    const bytes = readFileSync(file);
    return Array.from({ length: count }, () => bytes);
  }
  // The package's own samples (only needed here, so the module imports without the wasm).
  const { sampleEvent, eventTypes } = await import('./node.mjs');
  const types = type === 'all' ? eventTypes().map((t) => t.type) : [type];
  const run = randomUUID().slice(0, 8);
  const createdAt = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, i) => sampleEvent(types[i % types.length], { id: `evt_sim_${run}_${i}`, createdAt }));
}

/** The CLI: resolves to the exit status. */
export async function main(argv, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    stdout.write(USAGE + '\n');
    return 0;
  }
  if (command !== 'send') {
    stderr.write(`${command === undefined ? 'missing command' : `unknown command ${command}`}\n\n${USAGE}\n`);
    return 2;
  }
  let options;
  let events;
  try {
    options = parseArgs(rest);
    if (options.help) {
      stdout.write(USAGE + '\n');
      return 0;
    }
    events = await eventBodies(options);
  } catch (err) {
    stderr.write(`digivault-webhooks send: ${err.message}\n`);
    return 2;
  }
  const { secret, type, file, count, ...sendOptions } = options;
  const summary = await send({ ...sendOptions, secret, events });
  stdout.write(JSON.stringify(summary, null, 2) + '\n');
  return summary.failed === 0 ? 0 : 1;
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (invokedDirectly) process.exitCode = await main(process.argv.slice(2));
