// The npm rows of issue 20, each against its alternative in the same process: interleaved
// rounds timed in process CPU time (a loaded machine moves both sides alike), the median of
// the per-round ratios (ours / theirs, lower is better) and whether the target is met.
//   node bench/npm/targets.mjs            every row
//   node bench/npm/targets.mjs parse      one row: parse, construct or verify
// The load row is bench/npm/load.mjs. TARGET_ROUNDS (default 31) and TARGET_ROUND_MS (default
// 40) tune it; PKG_DIR measures another build of the package (default pkg/). Not a test.
import { join, resolve } from 'node:path';
import { SECRET, body, constructByHand, event, eventText, schema, verifyByHand } from './fixtures.mjs';

const pkgDir = process.env.PKG_DIR ? resolve(process.env.PKG_DIR) : new URL('../../pkg/', import.meta.url).pathname;
const { verify, sign, Webhook, parseEvent } = await import(join(pkgDir, 'node.mjs'));

const ROUNDS = Number(process.env.TARGET_ROUNDS ?? 31);
const ROUND_MS = Number(process.env.TARGET_ROUND_MS ?? 40);

const eventSignature = sign(SECRET, event);
// A 1 KiB body, as bench/npm/run.mjs's verify rows.
const body1k = body(1024);
const body1kSignature = sign(SECRET, body1k);
const webhook = new Webhook(SECRET);

const rows = {
  parse: {
    label: 'parseEvent 1 KiB event (string) vs JSON.parse',
    target: 1.3,
    ours: () => parseEvent(eventText),
    theirs: () => JSON.parse(eventText),
    also: [['JSON.parse + zod', () => schema.parse(JSON.parse(eventText))]],
  },
  construct: {
    label: 'constructEvent 1 KiB event (Buffer) vs node:crypto + JSON.parse + zod',
    target: 0.9,
    ours: () => webhook.constructEvent(event, eventSignature),
    theirs: () => constructByHand(event, eventSignature),
  },
  verify: {
    label: 'verify 1 KiB (Buffer) vs node:crypto createHmac + timingSafeEqual',
    target: 0.8,
    ours: () => verify(SECRET, body1k, body1kSignature),
    theirs: () => verifyByHand(body1k, body1kSignature),
  },
};

/** Process CPU ns per call of `fn` over `calls` calls. */
function cpuPerCall(fn, calls) {
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i++) fn();
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / calls;
}

/** How many calls of `fn` take about ROUND_MS of CPU (after warming it up). */
function callsPerRound(fn) {
  let calls = 64;
  for (;;) {
    const ns = cpuPerCall(fn, calls) * calls;
    if (ns >= (ROUND_MS * 1e6) / 4) return Math.max(1, Math.round((calls * ROUND_MS * 1e6) / ns));
    calls *= 2;
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const quartiles = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return [sorted[Math.floor((sorted.length - 1) / 4)], sorted[Math.ceil(((sorted.length - 1) * 3) / 4)]];
};
const us = (ns) => `${(ns / 1000).toFixed(2)} us`;

/** Measures one row: ours and each alternative interleaved, round by round, order alternating. */
export function measureRow(row) {
  const sides = [['ours', row.ours], ['theirs', row.theirs], ...(row.also ?? [])];
  const calls = sides.map(([, fn]) => callsPerRound(fn));
  const times = sides.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? sides.map((_, i) => i) : sides.map((_, i) => sides.length - 1 - i);
    for (const i of order) times[i].push(cpuPerCall(sides[i][1], calls[i]));
  }
  const ratios = (i) => times[0].map((ours, round) => ours / times[i][round]);
  return { sides, times, ratio: median(ratios(1)), spread: quartiles(ratios(1)), others: sides.slice(2).map((_, j) => median(ratios(j + 2))) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in rows));
  if (unknown.length > 0) {
    console.error(`unknown row ${unknown.join(', ')}: choose from ${Object.keys(rows).join(', ')}`);
    process.exit(2);
  }
  console.log(`Node ${process.version}, ${pkgDir}, ${ROUNDS} interleaved rounds of ~${ROUND_MS} ms CPU each, median per call`);
  for (const name of wanted.length > 0 ? wanted : Object.keys(rows)) {
    const row = rows[name];
    const result = measureRow(row);
    const [low, high] = result.spread;
    console.log(`\n${name}: ${row.label}`);
    result.sides.forEach(([side], i) => console.log(`  ${side.padEnd(18)} ${us(median(result.times[i])).padStart(10)}`));
    result.others.forEach((ratio, j) => console.log(`  ours / ${result.sides[j + 2][0]}: ${ratio.toFixed(2)}x`));
    const met = result.ratio <= row.target;
    console.log(`  ratio ours/theirs ${result.ratio.toFixed(2)}x (quartiles ${low.toFixed(2)}-${high.toFixed(2)}x), target <= ${row.target}x: ${met ? 'MET' : 'MISS'}`);
  }
}
