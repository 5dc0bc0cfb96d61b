// The validator as built into the package's wasm: its string scan (src/event/scan.rs) looks
// at sixteen bytes at a time with simd128 there, a path the native Rust tests do not run.
// Every length across several blocks, with the byte that matters at every position, against
// JSON.parse (what the text means) and the rules JSON.parse does not check. The validator is
// called directly: the package's parseEvent lets JSON.parse read plain text, so it would not
// reach the scan for most of these bodies (plain-event.test.mjs checks that path).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawCore } from './fixtures.mjs';

const { core, write } = await rawCore();

class WebhookError extends Error {}

/** The body parsed, when the core's validator accepts it; its error otherwise. */
function parseEvent(body) {
  const status = core.validate(write(Buffer.from(body, 'utf8')));
  if (status !== 0) throw Object.assign(new WebhookError(body), core.takeError());
  return JSON.parse(body);
}

const LENGTHS = 50; // three blocks and a tail
const codeOf = (body) => {
  try {
    parseEvent(body);
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof WebhookError, String(error));
    return error.code;
  }
};

/** An event whose message (raw JSON string content) comes last, so it also ends near the end of the body. */
const withMessage = (raw, key = 'message') =>
  `{"id":"e","type":"conversation.message.created","created_at":1,"data":{"object":{"id":"m","conversation_id":"c","created_at":1,"${key}":"${raw}"}}}`;

/** `raw` with `piece` at `at` in a run of `length` plain characters. */
const around = (length, at, piece) => 'a'.repeat(at) + piece + 'b'.repeat(length - at);

test('strings of every length with an escape at every position mean what JSON.parse reads', () => {
  const failures = [];
  for (const escape of ['\\"', '\\\\', '\\n', '\\/', '\\u00e9', '\\ud83d\\ude00', 'é', '😀', '\x7f', ' ']) {
    for (let length = 0; length < LENGTHS; length++) {
      for (let at = 0; at <= length; at++) {
        const body = withMessage(around(length, at, escape));
        try {
          const message = parseEvent(body).data.object.message;
          if (message !== JSON.parse(body).data.object.message) failures.push(`${JSON.stringify(escape)} ${length}/${at}: ${message}`);
        } catch (error) {
          failures.push(`${JSON.stringify(escape)} ${length}/${at}: ${error.code} ${error.message}`);
        }
      }
    }
  }
  assert.deepEqual(failures, []);
});

test('a control character, an unpaired surrogate escape or a cut anywhere in a string is refused', () => {
  const failures = [];
  for (let length = 0; length < LENGTHS; length++) {
    for (let at = 0; at <= length; at++) {
      for (const bad of ['\x00', '\x1f', '\n', '\t', '\\ud800', '\\udc00x', '\\x']) {
        const code = codeOf(withMessage(around(length, at, bad)));
        if (code !== 'INVALID_JSON') failures.push(`${JSON.stringify(bad)} ${length}/${at}: ${code}`);
      }
      // The body ends inside the string.
      const cut = withMessage(around(length, at, '')).slice(0, -4 - (length - at));
      if (codeOf(cut) !== 'INVALID_JSON') failures.push(`cut ${length}/${at}: ${codeOf(cut)}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('keys of every length, escaped or not, are found or kept', () => {
  const failures = [];
  for (let length = 1; length < LENGTHS; length++) {
    for (let at = 0; at < length; at++) {
      // An unknown key (kept), with an escape at `at`: JSON.parse's reading of it.
      const key = around(length - 1, at, '\\u0041');
      const body = `{"id":"e","type":"conversation.message.created","created_at":1,"data":{"object":{"id":"m","conversation_id":"c","created_at":1,"message":"m","${key}":"hi"}}}`;
      try {
        const object = parseEvent(body).data.object;
        assert.deepEqual(object, JSON.parse(body).data.object);
      } catch (error) {
        failures.push(`key ${length}/${at}: ${error.code ?? error.message}`);
      }
    }
  }
  // A known key written with escapes is that key: a second one is a duplicate.
  assert.equal(parseEvent(withMessage('hi', 'mess\\u0061ge')).data.object.message, 'hi');
  assert.equal(codeOf(withMessage('hi', 'message').replace('"message"', '"message":"x","m\\u0065ssage"')), 'INVALID_EVENT');
  assert.deepEqual(failures, []);
});
