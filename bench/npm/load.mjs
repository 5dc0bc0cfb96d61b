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

/** Wall-clock ms of a fresh `node -e script`, start to exit. */
function processMs(script) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-e', script], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`node -e ${script} failed`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const requireOf = (dir) => `require(${JSON.stringify(join(dir, 'node.cjs'))})`;
const timedRequire = (dir) => `const t = performance.now(); ${requireOf(dir)}; process.stdout.write(String(performance.now() - t))`;

// Interleaved, so load on the machine affects every variant alike.
const crypto = [];
const perDir = dirs.map(() => ({ process: [], inside: [] }));
for (let round = 0; round < ROUNDS; round++) {
  crypto.push(processMs("require('node:crypto')"));
  dirs.forEach((dir, i) => {
    perDir[i].process.push(processMs(requireOf(dir)));
    perDir[i].inside.push(Number(execFileSync(process.execPath, ['-e', timedRequire(dir)], { encoding: 'utf8' })));
  });
}

const cryptoMs = median(crypto);
console.log(`fresh process requiring node:crypto: ${cryptoMs.toFixed(1)} ms (median of ${ROUNDS})`);
const pack = mkdtempSync(join(tmpdir(), 'dvw-pack-'));
try {
  dirs.forEach((dir, i) => {
    const processMedian = median(perDir[i].process);
    const [packed] = JSON.parse(execFileSync('npm', ['pack', dir, '--json', '--pack-destination', pack], { encoding: 'utf8' }));
    const wasm = packed.files.filter((file) => file.path.endsWith('.wasm'));
    const node = readFileSync(join(dir, 'node.cjs'));
    console.log(`\n${dir}`);
    console.log(`  fresh process requiring it: ${processMedian.toFixed(1)} ms (+${(processMedian - cryptoMs).toFixed(1)} ms, ${(processMedian / cryptoMs).toFixed(2)}x node:crypto)`);
    console.log(`  require() inside the process: ${median(perDir[i].inside).toFixed(2)} ms (min ${Math.min(...perDir[i].inside).toFixed(2)})`);
    console.log(`  tarball ${kib(packed.size)}, unpacked ${kib(packed.unpackedSize)} in ${packed.entryCount} files; ` +
      `${wasm.length} .wasm (${wasm.map((file) => `${file.path} ${kib(file.size)}`).join(', ')})`);
    console.log(`  node.cjs ${kib(node.length)}, ${kib(gzipSync(node, { level: 9 }).length)} gzip`);
  });
} finally {
  rmSync(pack, { recursive: true, force: true });
}
