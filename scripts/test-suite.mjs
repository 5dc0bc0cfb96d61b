#!/usr/bin/env node
// `make test`: every stage listed in the Makefile's TEST_STAGES, each run once as `make STAGE`
// as soon as the stages it needs have passed, independent stages at the same time. Prints one
// line per stage as it starts and ends (its output goes to target/test-logs/STAGE.log; the tail
// of a failed stage's log is printed), then a table of every stage with its duration and result,
// and exits 1 if any stage failed or was skipped.
//
//   node scripts/test-suite.mjs                 every stage (what `make test` runs)
//   node scripts/test-suite.mjs test-js         the named stages and the stages they need
//   TEST_JOBS=1 node scripts/test-suite.mjs     one stage at a time (default 4 at once)
//   node scripts/test-suite.mjs --list          the stages and what each needs, run nothing
//
// What a stage needs is the Makefile's prerequisites of its target that are stages themselves
// (`test-js: build-pkg`), read from make's database: the Makefile is the one place that says it.
// Those prerequisites are never remade inside a stage (`make -o`), so each artifact (pkg/,
// build/, www/pkg/, the fuzz targets) is built once per run by its own stage.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const logDir = join(root, 'target', 'test-logs');

// Scheduling hints; a stage not named here is an I/O-bound test and needs none.
// CPU-bound stages (compiles, fuzzing) run at most CPU_JOBS at once and at a lower priority
// than the tests, whose timeouts are short. Stages in one exclusive group never overlap.
const CPU_BOUND = new Set([
  'setup-wasm-bindgen', 'clippy', 'test-rust', 'build-wasm-core',
  'build-pkg', 'build-worker', 'build-www', 'build-fuzz', 'fuzz-smoke',
]);
const EXCLUSIVE = {
  // Cargo locks target/debug/ for one build at a time: together, one would only queue
  // (test-consumers builds the crate there for `cargo publish --dry-run`).
  'cargo target/debug/': ['clippy', 'test-rust', 'test-consumers'],
  // (No group for build/: the `wrangler dev` and deploy tests run the release build, which
  // leaves build/ untouched when its stamp says it is current, as the build-worker stage
  // has just made it; so test-security and chaos-short run beside test-worker.)
};
const JOBS = Number(process.env.TEST_JOBS ?? 4);
const CPU_JOBS = Math.min(JOBS, Number(process.env.TEST_CPU_JOBS ?? 2));
const TAIL_LINES = 40;
const QUIET_MS = 30_000; // a progress line after this long with nothing printed

/** Make's database: every target's prerequisites and the TEST_STAGES variable. */
function readMakefile() {
  const { stdout } = spawnSync('make', ['-pRrq', '-f', 'Makefile', '.suite-no-such-target'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  const prerequisites = new Map();
  let stages = null;
  let inFiles = false;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('# Files')) inFiles = true;
    const variable = /^TEST_STAGES :?= ?(.*)$/.exec(line);
    if (variable) stages = variable[1].split(/\s+/).filter(Boolean);
    const rule = inFiles && /^([A-Za-z0-9][A-Za-z0-9_.-]*):(?!=)\s*(.*)$/.exec(line);
    if (rule) prerequisites.set(rule[1], rule[2].split('|')[0].split(/\s+/).filter(Boolean));
  }
  if (!stages) throw new Error('test-suite: the Makefile defines no TEST_STAGES');
  return { stages, prerequisites };
}

/** The stages of this run: the named ones (or all) and, transitively, what they need. */
function plan(all, prerequisites, wanted) {
  const unknown = wanted.filter((name) => !all.includes(name));
  if (unknown.length) throw new Error(`test-suite: no stage ${unknown.join(', ')} (stages: ${all.join(' ')})`);
  const isStage = new Set(all);
  // Through non-stage targets too (`setup: setup-rust ...`), so an umbrella target still counts.
  const needsOf = (name, seen = new Set()) => {
    for (const prerequisite of prerequisites.get(name) ?? []) {
      if (seen.has(prerequisite)) continue;
      seen.add(prerequisite);
      if (!isStage.has(prerequisite)) needsOf(prerequisite, seen);
    }
    return [...seen].filter((prerequisite) => isStage.has(prerequisite));
  };
  const needs = new Map(all.map((name) => [name, needsOf(name)]));
  const chosen = new Set();
  const add = (name) => {
    if (chosen.has(name)) return;
    chosen.add(name);
    needs.get(name).forEach(add);
  };
  (wanted.length ? wanted : all).forEach(add);
  // Table order is the Makefile's order: it is also the priority among ready stages.
  return all.filter((name) => chosen.has(name)).map((name) => ({ name, needs: needs.get(name), state: 'waiting' }));
}

const clock = () => new Date().toISOString().slice(11, 19);
const seconds = (ms) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`);
const load = () => loadavg().map((value) => value.toFixed(2)).join(' ');

let lastPrint = Date.now();
function say(line) {
  process.stdout.write(`${line}\n`);
  lastPrint = Date.now();
}

function tail(file, lines) {
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

function main() {
  const { stages: all, prerequisites } = readMakefile();
  if ((prerequisites.get('test') ?? []).length) {
    say(`test-suite: warning: the Makefile's \`test\` target has prerequisites (${prerequisites.get('test').join(' ')}); make ran them before this suite and outside its table: list them in TEST_STAGES instead.`);
  }
  const args = process.argv.slice(2);
  const stages = plan(all, prerequisites, args.filter((arg) => arg !== '--list'));
  if (args.includes('--list')) {
    for (const stage of stages) say(`${stage.name}${CPU_BOUND.has(stage.name) ? ' (compiles)' : ''}: ${stage.needs.join(' ') || '-'}`);
    return;
  }
  const byName = new Map(stages.map((stage) => [stage.name, stage]));
  const groupsOf = (name) => Object.entries(EXCLUSIVE).filter(([, members]) => members.includes(name)).map(([group]) => group);
  mkdirSync(logDir, { recursive: true });
  const started = Date.now();
  const startLoad = load();
  say(`test-suite: ${stages.length} stages, up to ${JOBS} at once (${CPU_JOBS} compiling); logs in target/test-logs/; load average ${startLoad}`);

  const running = new Map();
  const heldGroups = new Set();

  const finish = (stage, result) => {
    stage.state = result;
    stage.ms = Date.now() - stage.started;
    running.delete(stage.name);
    groupsOf(stage.name).forEach((group) => heldGroups.delete(group));
    say(`${result === 'passed' ? '✓' : '✗'} ${clock()} ${stage.name} ${result} in ${seconds(stage.ms)}`);
    if (result !== 'passed') {
      say(`---- last ${TAIL_LINES} lines of target/test-logs/${stage.name}.log ----\n${tail(stage.log, TAIL_LINES)}\n---- end of ${stage.name} ----`);
    }
    schedule();
  };

  const start = (stage) => {
    stage.state = 'running';
    stage.started = Date.now();
    stage.log = join(logDir, `${stage.name}.log`);
    groupsOf(stage.name).forEach((group) => heldGroups.add(group));
    const cpu = CPU_BOUND.has(stage.name);
    // Every other stage is a prerequisite only this runner makes: make never remakes it here.
    const others = all.filter((name) => name !== stage.name).flatMap((name) => ['-o', name]);
    const args = ['--no-print-directory', ...others, stage.name];
    // Compiles and fuzzing yield the CPU to the tests running beside them.
    const [command, commandArgs] = cpu ? ['nice', ['-n', '10', 'make', ...args]] : ['make', args];
    const after = stage.needs.length ? ` (after ${stage.needs.join(', ')})` : '';
    say(`▶ ${clock()} ${stage.name}${after}: make ${stage.name} > target/test-logs/${stage.name}.log`);
    const out = createWriteStream(stage.log);
    out.write(`# ${clock()} make ${stage.name}\n`);
    const child = spawn(command, commandArgs, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    running.set(stage.name, { stage, child });
    child.on('error', (error) => out.write(`\n${error.stack}\n`));
    child.on('close', (code, signal) => {
      out.end(`\n# exit ${code ?? signal} after ${seconds(Date.now() - stage.started)}\n`, () => finish(stage, code === 0 ? 'passed' : 'failed'));
    });
  };

  const schedule = () => {
    // A stage whose need failed (or was skipped) is skipped, and so on down the table.
    for (let changed = true; changed; ) {
      changed = false;
      for (const stage of stages) {
        const blocked = stage.state === 'waiting' && stage.needs.find((name) => ['failed', 'skipped'].includes(byName.get(name).state));
        if (!blocked) continue;
        Object.assign(stage, { state: 'skipped', reason: `${blocked} ${byName.get(blocked).state}` });
        say(`- ${clock()} ${stage.name} skipped: ${stage.reason}`);
        changed = true;
      }
    }
    for (const stage of stages) {
      if (running.size >= JOBS) break;
      if (stage.state !== 'waiting') continue;
      if (!stage.needs.every((name) => byName.get(name).state === 'passed')) continue;
      if (groupsOf(stage.name).some((group) => heldGroups.has(group))) continue;
      const cpuRunning = [...running.values()].filter(({ stage: other }) => CPU_BOUND.has(other.name)).length;
      if (CPU_BOUND.has(stage.name) && cpuRunning >= CPU_JOBS) continue;
      start(stage);
    }
    if (running.size === 0) report();
  };

  let reported = false;
  const report = () => {
    if (reported) return;
    reported = true;
    clearInterval(progress);
    const wall = Date.now() - started;
    const width = Math.max(...stages.map((stage) => stage.name.length), 5);
    const lines = [
      '',
      `${'stage'.padEnd(width)}  ${'duration'.padStart(12)}  result`,
      ...stages.map((stage) => `${stage.name.padEnd(width)}  ${(stage.ms === undefined ? '-' : seconds(stage.ms)).padStart(12)}  ${stage.state}${stage.reason ? ` (${stage.reason})` : ''}${stage.state === 'failed' ? `: target/test-logs/${stage.name}.log` : ''}`),
      `${'wall clock'.padEnd(width)}  ${seconds(wall).padStart(12)}  load average ${startLoad} at the start, ${load()} at the end`,
    ];
    lines.forEach((line) => say(line));
    writeFileSync(join(logDir, 'summary.json'), JSON.stringify({ finished: new Date().toISOString(), wallMs: wall, startLoad, endLoad: load(), stages: stages.map(({ name, needs, state, ms, reason }) => ({ name, needs, state, ms, reason })) }, null, 2) + '\n');
    const count = (state) => stages.filter((stage) => stage.state === state).length;
    // The closing line in the form CI reads: stages, not individual tests.
    say(`stages: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped`);
    process.exitCode = count('passed') === stages.length ? 0 : 1;
  };

  const progress = setInterval(() => {
    if (Date.now() - lastPrint < QUIET_MS || running.size === 0) return;
    const now = Date.now();
    const busy = [...running.values()].map(({ stage }) => `${stage.name} ${seconds(now - stage.started)}`).join(', ');
    const waiting = stages.filter((stage) => stage.state === 'waiting').map((stage) => stage.name);
    say(`… ${clock()} running: ${busy}${waiting.length ? `; waiting: ${waiting.join(' ')}` : ''}; load average ${load()}`);
  }, 5_000);

  // Ctrl-C or a CI timeout: stop the stages this runner started (each its own process group).
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      for (const { child } of running.values()) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      say(`test-suite: ${signal}, stopped ${[...running.keys()].join(', ') || 'nothing'}`);
      process.exit(130);
    });
  }
  schedule();
}

main();
