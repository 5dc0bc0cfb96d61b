// The package's load cost and size (not a test): what `require('digivault-webhooks')` adds
// to a process's start-up, against a process requiring node:crypto, measured in the same run;
// the time the require itself takes inside a process; the tarball and unpacked sizes.
// `node bench/npm/load.mjs [package dir ...]` (default pkg/; several dirs, e.g. an older build,
// are measured interleaved in one run; LOAD_ROUNDS sets the rounds).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const dirs = (process.argv.length > 2 ? process.argv.slice(2) : [new URL('../../pkg/', import.meta.url).pathname]).map((dir) => resolve(dir));
const ROUNDS = Number(process.env.LOAD_ROUNDS ?? 40);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

/**
 * A fresh `node -e script`: wall-clock ms from spawn to exit, and the CPU ms the process used
 * (all its threads, start-up included), which other load on the machine does not inflate.
 */
function processCost(script) {
  const start = process.hrtime.bigint();
  const report = ';const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000))';
  const result = spawnSync(process.execPath, ['-e', script + report], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`node -e ${script} failed: ${result.stderr}`);
  return { wall: Number(process.hrtime.bigint() - start) / 1e6, cpu: Number(result.stdout) };
}

const requireOf = (dir) => `require(${JSON.stringify(join(dir, 'node.cjs'))})`;
// The require alone, inside a fresh process: wall ms and process CPU ms, as "wall cpu".
const timedRequire = (dir) =>
  `const t = performance.now(), c = process.cpuUsage(); ${requireOf(dir)}; const u = process.cpuUsage(c);` +
  'process.stdout.write(`${performance.now() - t} ${(u.user + u.system) / 1000}`)';

// Interleaved, so load on the machine affects every variant alike.
const crypto = { wall: [], cpu: [] };
const perDir = dirs.map(() => ({ wall: [], cpu: [], insideWall: [], insideCpu: [] }));
for (let round = 0; round < ROUNDS; round++) {
  const base = processCost("require('node:crypto')");
  crypto.wall.push(base.wall);
  crypto.cpu.push(base.cpu);
  dirs.forEach((dir, i) => {
    const cost = processCost(requireOf(dir));
    perDir[i].wall.push(cost.wall);
    perDir[i].cpu.push(cost.cpu);
    const [insideWall, insideCpu] = execFileSync(process.execPath, ['-e', timedRequire(dir)], { encoding: 'utf8' }).split(' ').map(Number);
    perDir[i].insideWall.push(insideWall);
    perDir[i].insideCpu.push(insideCpu);
  });
}

const cryptoWall = median(crypto.wall);
const cryptoCpu = median(crypto.cpu);
console.log(`fresh process requiring node:crypto: ${cryptoWall.toFixed(1)} ms wall, ${cryptoCpu.toFixed(1)} ms CPU (medians of ${ROUNDS})`);
const pack = mkdtempSync(join(tmpdir(), 'dvw-pack-'));
try {
  dirs.forEach((dir, i) => {
    const wall = median(perDir[i].wall);
    const cpu = median(perDir[i].cpu);
    const [packed] = JSON.parse(execFileSync('npm', ['pack', dir, '--json', '--pack-destination', pack], { encoding: 'utf8' }));
    const wasm = packed.files.filter((file) => file.path.endsWith('.wasm'));
    const node = readFileSync(join(dir, 'node.cjs'));
    console.log(`\n${dir}`);
    console.log(`  fresh process requiring it: ${wall.toFixed(1)} ms wall (+${(wall - cryptoWall).toFixed(1)} ms, ${(wall / cryptoWall).toFixed(2)}x node:crypto), ` +
      `${cpu.toFixed(1)} ms CPU (+${(cpu - cryptoCpu).toFixed(1)} ms, ${(cpu / cryptoCpu).toFixed(2)}x)`);
    console.log(`  require() inside the process: ${median(perDir[i].insideWall).toFixed(2)} ms wall (min ${Math.min(...perDir[i].insideWall).toFixed(2)}), ` +
      `${median(perDir[i].insideCpu).toFixed(2)} ms CPU`);
    console.log(`  tarball ${kib(packed.size)}, unpacked ${kib(packed.unpackedSize)} in ${packed.entryCount} files; ` +
      `${wasm.length} .wasm (${wasm.map((file) => `${file.path} ${kib(file.size)}`).join(', ')})`);
    console.log(`  node.cjs ${kib(node.length)}, ${kib(gzipSync(node, { level: 9 }).length)} gzip`);
  });
} finally {
  rmSync(pack, { recursive: true, force: true });
}
