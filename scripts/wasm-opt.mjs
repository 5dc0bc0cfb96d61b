#!/usr/bin/env node
// wasm-opt with the WebAssembly features every build of this crate uses, defined once for
// the npm package and the page (scripts/wasm.mjs) and the Worker (scripts/build-worker.mjs):
//   node scripts/wasm-opt.mjs FILE [wasm-opt flags...]    (optimises FILE in place)
// WASM_OPT_BIN overrides the binary (default: binaryen from node_modules; Debian's is too
// old for wasm-bindgen's output).
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What rustc (with +simd128, see .cargo/config.toml) and wasm-bindgen may emit. */
export const WASM_FEATURES = [
  '--enable-simd',
  '--enable-bulk-memory',
  '--enable-nontrapping-float-to-int',
  '--enable-sign-ext',
  '--enable-mutable-globals',
  '--enable-reference-types',
  '--enable-multivalue',
  '--enable-exception-handling',
];

/** Runs wasm-opt on `file` in place with the shared features and `flags`. */
export function wasmOpt(file, flags) {
  const bin = process.env.WASM_OPT_BIN || join(root, 'node_modules', 'binaryen', 'bin', 'wasm-opt');
  execFileSync(bin, [...flags, ...WASM_FEATURES, file, '-o', file], { stdio: 'inherit' });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, ...flags] = process.argv.slice(2);
  if (!file) throw new Error('usage: node scripts/wasm-opt.mjs FILE [wasm-opt flags...]');
  wasmOpt(file, flags);
}
