#!/usr/bin/env node
// Warm reruns of the whole suite (issue 21: <= 5 min after a one-line change in src/lib.rs).
// In a tree where `make test` already ran once (tools installed, everything built), each run
// appends one comment line to src/lib.rs, runs `make test` and reads the suite's own record
// (target/test-logs/summary.json): the wall time, the load average at its start and end, and
// each stage's time (each run's logs kept in target/warm-reruns/run-N/). src/lib.rs is
// restored at the end, whatever happens.
//
//   node bench/dev/warm-reruns.mjs [runs]   # default 5; run it in a clone: it edits src/lib.rs
//
// A Markdown table per run, then one line per run, ready for docs/development.md.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';

const root = join(import.meta.dirname, '..', '..');
const runs = Number(process.argv[2] ?? 5);
const lib = join(root, 'src', 'lib.rs');
const original = readFileSync(lib, 'utf8');
const summaries = [];

const minutes = (ms) => `${Math.floor(ms / 60_000)} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`;

try {
  for (let run = 1; run <= runs; run++) {
    writeFileSync(lib, `${original}// warm rerun ${run}\n`);
    const load = loadavg()[0].toFixed(1);
    console.log(`warm-reruns: run ${run} of ${runs} (load average ${load})`);
    const made = spawnSync('make', ['test'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    const summary = JSON.parse(readFileSync(join(root, 'target', 'test-logs', 'summary.json'), 'utf8'));
    // Each run's logs kept: the next run overwrites target/test-logs/.
    cpSync(join(root, 'target', 'test-logs'), join(root, 'target', 'warm-reruns', `run-${run}`), { recursive: true });
    summary.status = made.status;
    summaries.push(summary);
    const failed = summary.stages.filter((stage) => stage.state !== 'passed').map((stage) => stage.name);
    console.log(
      `warm-reruns: run ${run}: ${minutes(summary.wallMs)}, ${failed.length ? `not green (${failed.join(', ')})` : 'green'}, ` +
        `load average ${summary.startLoad.split(' ')[0]} at the start, ${summary.endLoad.split(' ')[0]} at the end`,
    );
  }
} finally {
  writeFileSync(lib, original);
}

for (const [i, summary] of summaries.entries()) {
  console.log(`\nRun ${i + 1}: ${minutes(summary.wallMs)}, load average ${summary.startLoad} -> ${summary.endLoad}\n`);
  console.log('| stage | result | time |\n| --- | --- | --- |');
  const byTime = [...summary.stages].sort((a, b) => (b.ms ?? 0) - (a.ms ?? 0));
  for (const stage of byTime) console.log(`| ${stage.name} | ${stage.state} | ${((stage.ms ?? 0) / 1000).toFixed(1)} s |`);
}
console.log(`\n${summaries.map((s, i) => `run ${i + 1}: ${minutes(s.wallMs)}`).join(', ')}`);
process.exit(summaries.every((s) => s.status === 0) ? 0 : 1);
