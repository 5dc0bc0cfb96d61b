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
