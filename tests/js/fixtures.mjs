// The shared fixture files (also run by the Rust tests), loaded for the JS tests.
import { readFileSync } from 'node:fs';

const load = (name) => JSON.parse(readFileSync(new URL(`../${name}`, import.meta.url), 'utf8'));

/** tests/vectors.json with each body decoded to a Buffer. */
export const vectors = load('vectors.json').vectors.map((v) => ({
  ...v,
  body: Buffer.concat(Array(v.repeat ?? 1).fill(Buffer.from(v.body_base64, 'base64'))),
}));

/** tests/events.json with each body as a Buffer. */
export const events = load('events.json').events.map((e) => ({
  ...e,
  bytes: e.body_base64 !== undefined ? Buffer.from(e.body_base64, 'base64') : Buffer.from(e.body, 'utf8'),
}));

/** The package under test: the built pkg/ (PKG_DIR overrides, e.g. an installed copy). */
export const packageDir = process.env.PKG_DIR ?? new URL('../../pkg/', import.meta.url).pathname;

/**
 * The package's wasm core on its own, without the JS glue (whose fast path lets JSON.parse
 * read plain text): for tests of the core's validator itself. `write(bytes)` copies bytes
 * into its scratch area and returns their length, for the calls that read it.
 */
export async function rawCore() {
  const core = await import(`${packageDir}/wasm/digivault_webhooks.js`);
  core.initSync({ module: readFileSync(`${packageDir}/wasm/digivault_webhooks_bg.wasm`) });
  const write = (bytes) => {
    const pointer = core.scratch(Math.max(bytes.length, 1));
    new Uint8Array(core.wasmMemory().buffer, pointer, bytes.length).set(bytes);
    return bytes.length;
  };
  return { core, write };
}
