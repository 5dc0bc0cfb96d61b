// Chaos run: the sender simulator's delivery engine (pkg/sender.js: DigiVault's signing,
// retry schedule and timeout) delivers N distinct events (the package's sample event), plus
// exact duplicate deliveries (some concurrent) and forged ones, through the BUILT Worker in
// workerd (Miniflare, scripts/lib/built-worker.mjs), run twice as two isolates ("location A"
// and "location B") sharing one delivery ledger (--mode ledger, the default; --mode kv: no
// LEDGER, KV only), each event's deliveries and concurrent copies split between the two, to
// a local origin that answers 500 to a share of forwards, hangs past FORWARD_TIMEOUT_MS on
// another, and goes down (connection refused) for a stretch every few seconds.
//
// Invariants (exit status 1 when one fails):
//   - events lost: 0. No event the Worker acknowledged (2xx) without the origin having
//     accepted it, and no event DigiVault gave up on: the faults are sized so that the
//     guide's six attempts always leave room for a success (at most one random fault per
//     event at the origin; an outage is shorter than the 1+5+15+60 min part of the schedule).
//   - forwarded again after an acknowledged success: 0, for sequential and for concurrent
//     duplicates, across both isolates (with the ledger; in KV mode concurrent copies at two
//     isolates can both be forwarded, and the run reports it).
//   - forged deliveries accepted (unsigned, wrong secret, body tampered after signing): 0;
//     and every body the origin received is byte-identical to a genuine one and carries a
//     signature that verifies (node:crypto).
//
// --mode durable (DELIVERY_MODE=durable, the ledger bound): the Worker answers 202 once the
// event is stored and delivers it from the ledger's alarm on its own schedule
// (--retry-schedule, seconds). The origin's outages then last longer than the sender's whole
// schedule (--outage-ms defaults to twice it, scaled). Invariants: events lost 0 (every
// acknowledged event accepted by the origin once the ledger has settled), events delivered
// again after a 2xx the Worker saw 0 (no replay is made: read from the ledger's timeline; a
// 2xx cut off by an outage is at-least-once and reported), forged accepted 0, nothing but
// genuine, correctly signed bytes at the origin.
//
//   node scripts/chaos.mjs [--events 500] [--duplicate-share 0.2] [--concurrent-share 0.3]
//     [--forged-share 0.05] [--fail-share 0.1] [--hang-share 0.05] [--time-scale 6000]
//     [--forward-timeout-ms 1000] [--outage-ms 600] [--outage-every-ms 8000] [--concurrency 16]
//     [--seed 1] [--mode ledger|kv|durable] [--retry-schedule 0.2,0.5,1,2,2,2,2,2,2,2]
// Needs `make build-pkg build-worker`. Everything listens on 127.0.0.1 only.
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import { SECRET, sign, startLocations } from './lib/built-worker.mjs';

const pkg = (file) =>
  import(new URL(`../pkg/${file}`, import.meta.url)).catch((err) => {
    throw new Error(`pkg/${file} is missing: run \`make build-pkg\` first (${err.message})`);
  });
const { deliver, RETRY_SCHEDULE_MS } = await pkg('sender.js');
const { sampleEvent } = await pkg('node.mjs');

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '500' },
    'duplicate-share': { type: 'string', default: '0.2' },
    'concurrent-share': { type: 'string', default: '0.3' },
    'forged-share': { type: 'string', default: '0.05' },
    'fail-share': { type: 'string', default: '0.1' },
    'hang-share': { type: 'string', default: '0.05' },
    'time-scale': { type: 'string', default: '6000' },
    'forward-timeout-ms': { type: 'string', default: '1000' },
    'outage-ms': { type: 'string' },
    'outage-every-ms': { type: 'string', default: '8000' },
    concurrency: { type: 'string', default: '16' },
    seed: { type: 'string', default: '1' },
    mode: { type: 'string', default: 'ledger' },
    'retry-schedule': { type: 'string', default: '0.2,0.5,1,2,2,2,2,2,2,2' },
  },
});
const durable = args.mode === 'durable';
// The sender's whole schedule, scaled: durable mode's outages outlast it.
const senderHorizonMs = RETRY_SCHEDULE_MS.reduce((sum, ms) => sum + ms, 0) / Number(args['time-scale']);
args['outage-ms'] ??= String(durable ? Math.ceil(2 * senderHorizonMs) : 600);
const num = (name) => {
  const value = Number(args[name]);
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`--${name} must be a number >= 0`);
  return value;
};
if (!['ledger', 'kv', 'durable'].includes(args.mode)) throw new TypeError('--mode must be ledger, kv or durable');
const config = {
  mode: args.mode,
  events: num('events'),
  duplicateShare: num('duplicate-share'),
  concurrentShare: num('concurrent-share'),
  forgedShare: num('forged-share'),
  failShare: num('fail-share'),
  hangShare: num('hang-share'),
  timeScale: num('time-scale'),
  forwardTimeoutMs: num('forward-timeout-ms'),
  outageMs: num('outage-ms'),
  outageEveryMs: num('outage-every-ms'),
  concurrency: Math.max(1, num('concurrency')),
  seed: num('seed'),
  ...(durable ? { retrySchedule: args['retry-schedule'] } : {}),
};
const receiverHorizonMs = args['retry-schedule'].split(',').reduce((sum, s) => sum + 1000 * Number(s), 0);
if (durable && 0.8 * receiverHorizonMs <= config.outageMs + 2 * config.forwardTimeoutMs) {
  throw new TypeError('--retry-schedule must outlast --outage-ms (with its 20% jitter)');
}
// Forward modes: an outage takes at most the first four attempts of an event (0, +1, +5, +15 min scaled),
// a random fault one more: the sixth attempt must come after the outage.
const firstFour = (RETRY_SCHEDULE_MS[0] + RETRY_SCHEDULE_MS[1] + RETRY_SCHEDULE_MS[2]) / config.timeScale;
if (!durable && config.outageMs >= firstFour + RETRY_SCHEDULE_MS[3] / config.timeScale) {
  throw new TypeError(`--outage-ms must stay under ${firstFour + RETRY_SCHEDULE_MS[3] / config.timeScale} ms at this time scale`);
}

// Outages further apart than one event's whole schedule: no event meets two.
const span = RETRY_SCHEDULE_MS.reduce((sum, ms) => sum + ms, 0) / config.timeScale + 2 * config.forwardTimeoutMs + config.outageMs;
if (!durable && config.outageMs > 0 && config.outageEveryMs < span) {
  throw new TypeError(`--outage-every-ms must be at least ${Math.ceil(span)} ms at this time scale`);
}

// Deterministic randomness (mulberry32), so a run can be replayed with --seed.
let seed = config.seed >>> 0 || 1;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

// ---- The origin: faults per request, and outages (the port closed, then reopened) ----

/**
 * Records every request with its arrival time, event id, body and signature, and what it
 * answered. A random fault (500 or hang) hits at most one request per event id.
 */
async function startChaosOrigin() {
  const receipts = [];
  const faulted = new Set();
  const hanging = new Set();
  const stats = { ok: 0, fail: 0, hang: 0 };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const id = req.headers['x-digivault-event-id'];
      const receipt = {
        at: performance.now(),
        id,
        body: Buffer.concat(chunks),
        signature: req.headers['x-digivault-signature'] ?? req.headers['x-bitvault-signature'],
        answer: 'ok',
      };
      receipts.push(receipt);
      const roll = random();
      if (!faulted.has(id) && roll < config.failShare + config.hangShare) {
        faulted.add(id);
        receipt.answer = roll < config.failShare ? 'fail' : 'hang';
      }
      stats[receipt.answer]++;
      if (receipt.answer === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      res.writeHead(receipt.answer === 'fail' ? 500 : 200, { 'content-type': 'application/json' });
      res.end(receipt.answer === 'fail' ? '{"error":"chaos"}' : '{"ok":true}');
      if (receipt.answer === 'ok') receipt.answeredAt = performance.now();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  let up = true;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    receipts,
    stats,
    get up() {
      return up;
    },
    /** Closes the port (connections refused) for `ms`, then listens again on it. */
    async outage(ms) {
      up = false;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await sleep(ms);
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      up = true;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      if (up) await new Promise((resolve) => server.close(resolve));
    },
  };
}

// ---- The deliveries ----

const runId = Math.floor(random() * 1e9).toString(36);
const createdAt = Math.floor(Date.now() / 1000);
/**
 * The package's sample message event, its message made non-ASCII so that forwarding is
 * checked byte for byte on multi-byte UTF-8 too.
 */
const eventBody = (i) => {
  const event = JSON.parse(sampleEvent('conversation.message.created', { id: `evt_chaos_${runId}_${i}`, createdAt }));
  event.data.object.message = `chaos message ${i} ✓`;
  return JSON.stringify(event);
};

/** A forged delivery of `body`: unsigned, signed with another secret, or tampered after signing. */
function forge(body, kind) {
  if (kind === 'unsigned') return { body, signature: null };
  if (kind === 'wrong-secret') return { body, signature: sign(body, 'whsec_not_the_secret') };
  // The genuine signature on a body changed by one character after signing.
  return { body: body.replace('chaos message', 'chaos messagE'), signature: sign(body) };
}

async function run() {
  const origin = await startChaosOrigin();
  const adminToken = 'chaos-admin-token-0123456789abcdef';
  const worker = await startLocations({
    vars: {
      WEBHOOK_SECRET: SECRET,
      FORWARD_URL: origin.url,
      FORWARD_TIMEOUT_MS: String(config.forwardTimeoutMs),
      ...(durable ? { DELIVERY_MODE: 'durable', RETRY_SCHEDULE_SECONDS: config.retrySchedule, ADMIN_TOKEN: adminToken } : {}),
    },
    ledger: config.mode !== 'kv',
    listen: true,
  });
  // Location A or B: the k-th delivery (or concurrent copy) of an event goes to the other
  // location than the (k-1)-th, starting at a random one.
  const locations = [worker.urls.a, worker.urls.b];
  const at = (event, k) => locations[(event.firstLocation + k) % 2];
  const started = performance.now();
  let sending = true;
  const outages = (async () => {
    // The first outage 1 s in, then one every --outage-every-ms (start to start).
    let count = 0;
    let wait = 1000;
    while (sending && config.outageMs > 0) {
      await sleep(wait);
      if (!sending) break;
      await origin.outage(config.outageMs);
      count++;
      // Durable mode: the next outage only once the receiver's schedule has passed.
      wait = durable ? receiverHorizonMs : config.outageEveryMs - config.outageMs;
    }
    return count;
  })();

  const genuine = new Map(); // id -> body
  const events = [];
  for (let i = 0; i < config.events; i++) {
    const body = eventBody(i);
    const duplicates = random() < config.duplicateShare ? 1 + Math.floor(random() * 3) : 0;
    const concurrent = duplicates > 0 && random() < config.concurrentShare;
    const forged = random() < config.forgedShare ? ['unsigned', 'wrong-secret', 'tampered'][Math.floor(random() * 3)] : null;
    genuine.set(JSON.parse(body).id, body);
    const firstLocation = random() < 0.5 ? 0 : 1;
    events.push({ i, id: JSON.parse(body).id, body, duplicates, concurrent, forged, firstLocation, deliveries: [], forgedDeliveries: [] });
  }

  const send = (options) => deliver({ secret: SECRET, timeScale: config.timeScale, ...options });
  let next = 0;
  // Forged deliveries run alongside, outside the concurrency limit: DigiVault-style, each is
  // retried through the whole schedule (401 every time), which would otherwise hold a slot.
  const forgeries = [];
  const workers = Array.from({ length: Math.min(config.concurrency, events.length) }, async () => {
    while (next < events.length) {
      const event = events[next++];
      if (event.forged) {
        forgeries.push(send({ url: at(event, 0), ...forge(event.body, event.forged) }).then((d) => event.forgedDeliveries.push({ kind: event.forged, ...d })));
      }
      if (event.concurrent) {
        event.deliveries = await Promise.all(Array.from({ length: 1 + event.duplicates }, (_, k) => send({ url: at(event, k), body: event.body })));
      } else {
        for (let k = 0; k <= event.duplicates; k++) event.deliveries.push(await send({ url: at(event, k), body: event.body }));
      }
    }
  });
  await Promise.all(workers);
  await Promise.all(forgeries);
  sending = false;
  const outageCount = await outages;
  let backlogAtEnd = null;
  const admin = (path) => fetch(new URL(path, worker.urls.a), { headers: { authorization: `Bearer ${adminToken}` } });
  if (durable) {
    // The ledger delivers on its own: wait until nothing is pending or being delivered
    // (bounded by the receiver's whole schedule).
    const deadline = performance.now() + receiverHorizonMs * 1.3 + 10_000;
    for (;;) {
      const response = await admin('/admin/stats');
      backlogAtEnd = await response.json();
      if (backlogAtEnd.pending + backlogAtEnd.delivering === 0 || performance.now() > deadline) break;
      await sleep(200);
    }
  }
  const durationMs = performance.now() - started;

  // ---- Figures and invariants ----
  const receiptsById = new Map();
  for (const receipt of origin.receipts) {
    if (!receiptsById.has(receipt.id)) receiptsById.set(receipt.id, []);
    receiptsById.get(receipt.id).push(receipt);
  }
  const statuses = {};
  let deliveries = 0;
  let attempts = 0;
  let lost = 0;
  let givenUp = 0;
  let againAfterSuccessSequential = 0;
  let againAfterSuccessConcurrent = 0;
  let duplicateAnswers = 0;
  for (const event of events) {
    const receipts = receiptsById.get(event.id) ?? [];
    const accepted = receipts.some((r) => r.answer === 'ok');
    let ackAt = Infinity;
    for (const delivery of event.deliveries) {
      deliveries++;
      for (const a of delivery.attempts) {
        attempts++;
        const key = a.status ?? a.error;
        statuses[key] = (statuses[key] ?? 0) + 1;
        if (a.json?.status === 'duplicate') duplicateAnswers++;
        if (a.status >= 200 && a.status < 300) ackAt = Math.min(ackAt, delivery.started + a.at + a.ms);
      }
    }
    if (ackAt !== Infinity && !accepted) lost++; // acknowledged, never accepted by the origin
    if (ackAt === Infinity) givenUp++; // DigiVault gave up on every delivery
    // Durable mode acknowledges before delivering: what counts there is a second 2xx.
    const after = durable ? 0 : receipts.filter((r) => r.at > ackAt).length;
    if (event.concurrent) againAfterSuccessConcurrent += after;
    else againAfterSuccessSequential += after;
  }
  let forgedAccepted = 0;
  let forgedDeliveries = 0;
  for (const event of events) {
    for (const delivery of event.forgedDeliveries) {
      forgedDeliveries++;
      attempts += delivery.attempts.length;
      for (const a of delivery.attempts) {
        const key = a.status ?? a.error;
        statuses[key] = (statuses[key] ?? 0) + 1;
      }
      if (delivery.attempts.some((a) => a.status >= 200 && a.status < 300)) forgedAccepted++;
    }
  }
  // What reached the origin: only genuine bodies, byte for byte, with a valid signature.
  let badReceipts = 0;
  for (const receipt of origin.receipts) {
    const body = genuine.get(receipt.id);
    if (body === undefined || !receipt.body.equals(Buffer.from(body)) || receipt.signature !== sign(receipt.body)) badReceipts++;
  }
  const distinctReceived = [...receiptsById.keys()].filter((id) => genuine.has(id)).length;
  // At-least-once, not a failure: a forward the origin accepted after the Worker gave up on
  // it (FORWARD_TIMEOUT_MS) is forwarded again on DigiVault's retry.
  const doubled = [...receiptsById.entries()].filter(([, rs]) => rs.filter((r) => r.answer === 'ok').length > 1);
  const acceptedTwice = doubled.length;
  // Durable mode: a second delivery after a 2xx the Worker saw (its ledger timeline holds two
  // 2xx attempts) is a failure; a 2xx lost on its way back (an outage cutting the answer) is
  // at-least-once and only reported.
  let deliveredTwiceAfter2xx = 0;
  // What the ledger saw of the first of two 2xx answers: no answer, a timeout, a lost attempt.
  const doubledBecause = {};
  if (durable) {
    for (const [id] of doubled) {
      const event = await (await admin(`/admin/events/${encodeURIComponent(id)}`)).json();
      const attempts = event.attempts ?? [];
      if (attempts.filter((a) => a.status >= 200 && a.status < 300).length > 1) deliveredTwiceAfter2xx++;
      for (const a of attempts.filter((a) => a.error)) doubledBecause[a.error] = (doubledBecause[a.error] ?? 0) + 1;
    }
  }

  const report = {
    config,
    duration_s: Number((durationMs / 1000).toFixed(1)),
    events_sent: events.length,
    deliveries,
    duplicate_deliveries: deliveries - events.length,
    events_with_concurrent_duplicates: events.filter((e) => e.concurrent).length,
    forged_deliveries: forgedDeliveries,
    http_attempts: attempts,
    worker_answers: statuses,
    duplicate_answers: duplicateAnswers,
    origin_receipts: origin.receipts.length,
    origin_answers: origin.stats,
    origin_outages: outageCount,
    events_received_by_origin: distinctReceived,
    events_accepted_by_origin_twice_before_any_ack: acceptedTwice,
    ...(durable ? { failed_attempts_of_those_in_the_ledger: doubledBecause } : {}),
    invariants: {
      events_lost: lost,
      events_given_up: givenUp,
      forwarded_again_after_success_sequential: againAfterSuccessSequential,
      forwarded_again_after_success_concurrent: againAfterSuccessConcurrent,
      forged_accepted: forgedAccepted,
      origin_receipts_not_genuine_or_badly_signed: badReceipts,
      ...(durable ? { delivered_again_after_a_2xx: deliveredTwiceAfter2xx } : {}),
    },
    ...(durable ? { ledger_at_end: backlogAtEnd } : {}),
  };
  await worker.dispose();
  await origin.close();
  return report;
}

const report = await run();
console.log(JSON.stringify(report, null, 2));
const failed = Object.entries(report.invariants).filter(([, value]) => value !== 0);
if (report.events_received_by_origin !== report.events_sent) failed.push(['events_received_by_origin', report.events_received_by_origin]);
// The run must have exercised what it claims to.
if (config.outageMs > 0 && report.origin_outages === 0) failed.push(['origin_outages', 0]);
if (config.failShare > 0 && report.origin_answers.fail === 0) failed.push(['origin_answers.fail', 0]);
if (config.forgedShare > 0 && report.forged_deliveries === 0) failed.push(['forged_deliveries', 0]);
if (failed.length > 0) {
  console.error(`chaos: FAILED ${failed.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  process.exit(1);
}
const twice = durable ? '0 accepted twice by the origin' : '0 forwarded twice after success';
console.log(`chaos: OK (${config.mode}): ${report.events_sent} events, ${report.deliveries} deliveries (+${report.forged_deliveries} forged), ${report.origin_receipts} origin receipts, 0 lost, ${twice}, 0 forged accepted (${report.duration_s} s)`);
