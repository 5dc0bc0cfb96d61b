// Builds the crate to wasm and runs wasm-bindgen and wasm-opt on it: shared by the npm
// package (scripts/build-pkg.mjs) and the debugger page (scripts/build-debugger-wasm.mjs).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wasmOpt } from './wasm-opt.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Builds with `features` into `targetDir` (its own, so that builds with other features
 * never swap the .wasm), then writes each wasm-bindgen `target` to `outDirs[target]`.
 * `unrollSha256` trades size for hashing speed (see below).
 */
export function buildWasm({ features, targetDir, outDirs, unrollSha256 = false }) {
  const run = (cmd, args) =>
    execFileSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, CARGO_TARGET_DIR: targetDir } });
  // A higher loop-unroll threshold lets LLVM fully unroll the 48 scheduled rounds of sha2's
  // simd128 SHA-256 backend, so its rotating eight-word state lives in locals: ~12% faster
  // per block (1 KiB verify ~7% faster) for a ~5x larger compression function. Added to,
  // not replacing, .cargo/config.toml's rustflags.
  const unroll = ['--config', 'target.wasm32-unknown-unknown.rustflags=["-C", "llvm-args=-unroll-threshold=1000"]'];
  run('cargo', ['build', '--release', '--lib', '--target', 'wasm32-unknown-unknown', '--features', features, ...(unrollSha256 ? unroll : [])]);
  const wasm = join(targetDir, 'wasm32-unknown-unknown', 'release', 'digivault_webhooks.wasm');
  for (const [target, out] of Object.entries(outDirs)) {
    run('wasm-bindgen', ['--target', target, '--out-dir', out, wasm]);
    const file = join(out, 'digivault_webhooks_bg.wasm');
    // -O3, not -Oz: the hash loop is the product.
    wasmOpt(file, ['-O3', '--strip-debug', '--strip-producers']);
  }
}
