// The package's load cost and size (not a test): what `require('digivault-webhooks')` adds
// to a process's start-up, against a process requiring node:crypto, measured in the same run;
// the time the require itself takes inside a process; the tarball and unpacked sizes.
// `node bench/npm/load.mjs [package dir]` (default pkg/; LOAD_ROUNDS sets the rounds).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const pkgDir = resolve(process.argv[2] ?? new URL('../../pkg/', import.meta.url).pathname);
const ROUNDS = Number(process.env.LOAD_ROUNDS ?? 40);
const entry = join(pkgDir, 'node.cjs');

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Wall-clock ms of a fresh `node -e script`, start to exit. */
function processMs(script) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-e', script], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`node -e ${script} failed`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

// Interleaved, so load on the machine affects both alike.
const withPackage = [];
const withCrypto = [];
const inside = [];
const requirePackage = `require(${JSON.stringify(entry)})`;
const timed = `const t = performance.now(); ${requirePackage}; process.stdout.write(String(performance.now() - t))`;
for (let round = 0; round < ROUNDS; round++) {
  withCrypto.push(processMs("require('node:crypto')"));
  withPackage.push(processMs(requirePackage));
  inside.push(Number(execFileSync(process.execPath, ['-e', timed], { encoding: 'utf8' })));
}
const pkgMs = median(withPackage);
const cryptoMs = median(withCrypto);
console.log(`package: ${pkgDir}`);
console.log(`fresh process requiring it: ${pkgMs.toFixed(1)} ms, requiring node:crypto: ${cryptoMs.toFixed(1)} ms ` +
  `(+${(pkgMs - cryptoMs).toFixed(1)} ms, ${(pkgMs / cryptoMs).toFixed(2)}x); median of ${ROUNDS}`);
console.log(`require() inside the process: ${median(inside).toFixed(2)} ms (median of ${ROUNDS}; min ${Math.min(...inside).toFixed(2)})`);

const dir = mkdtempSync(join(tmpdir(), 'dvw-pack-'));
try {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', pkgDir, '--json', '--pack-destination', dir], { encoding: 'utf8' }));
  const wasm = packed.files.filter((file) => file.path.endsWith('.wasm'));
  console.log(`tarball: ${(packed.size / 1024).toFixed(1)} KiB, unpacked ${(packed.unpackedSize / 1024).toFixed(1)} KiB in ${packed.entryCount} files; ` +
    `${wasm.length} .wasm (${wasm.map((file) => `${file.path} ${(file.size / 1024).toFixed(1)} KiB`).join(', ')})`);
  const node = readFileSync(entry);
  console.log(`node.cjs: ${(statSync(entry).size / 1024).toFixed(1)} KiB, ${(gzipSync(node, { level: 9 }).length / 1024).toFixed(1)} KiB gzip`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
