// parseEvent and constructEvent let JSON.parse build the event when the core's pre-scan
// (src/event/prescan.rs, simd128 in the package's wasm) says the text is plain, and check the
// value against the core's shape tables (src/js/plain-event.js). Whatever path a payload
// takes, the answer must be the core's validator's: the same value, or the same error code,
// message and path. Checked here against that validator called directly in the built wasm,
// over the shared fixtures, the fuzzer's corpus, hand-made cases for each rule and random
// edits of every sample; and the fast path must be the one the usual events take.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { packageDir, events, rawCore } from './fixtures.mjs';

const pkg = await import(`${packageDir}/node.mjs`);
const { parseEvent, sampleEvent, eventTypes, sign, Webhook } = pkg;
const { checkedKeys } = await import(`${packageDir}/esm/plain-event.js`);

// The core on its own: the same wasm, its validator called without the package's glue.
const { core, write } = await rawCore();

const SECRET = 'whsec_plain_event_test';
const NOW = 1_700_000_000;
const TOLERANCE = 300;
const coreWebhook = core.WebhookCore.create([SECRET], TOLERANCE, undefined);
const webhook = new Webhook(SECRET, { toleranceSeconds: TOLERANCE, now: () => NOW * 1000 });

const errorOf = (status) => {
  const { code, message, path } = core.takeError();
  assert.ok(status !== 0 && code !== undefined);
  return { code, message, path };
};

/** The core validator's verdict on `bytes`: the parsed value, or its error. */
function coreVerdict(bytes) {
  const status = core.validate(write(bytes));
  return status === 0 ? { value: JSON.parse(Buffer.from(bytes).toString('utf8')) } : errorOf(status);
}

/** The same with the replay window: what constructEvent must answer for a good signature. */
function coreConstructVerdict(bytes) {
  const status = coreWebhook.checkEvent(0, write(bytes), NOW);
  return status === 0 ? { value: JSON.parse(Buffer.from(bytes).toString('utf8')) } : errorOf(status);
}

function verdictOf(run) {
  try {
    return { value: run() };
  } catch (error) {
    assert.equal(error.name, 'WebhookError', String(error));
    return { code: error.code, message: error.message, path: error.path };
  }
}

/** Every disagreement between the package and the core on `text`, as a string and as bytes. */
function disagreements(text, name) {
  const bytes = Buffer.from(text, 'utf8');
  const expected = coreVerdict(bytes);
  const expectedConstruct = coreConstructVerdict(bytes);
  const found = [];
  for (const payload of [text, bytes]) {
    const kind = typeof payload === 'string' ? 'string' : 'Buffer';
    const parsed = verdictOf(() => parseEvent(payload));
    if (!sameVerdict(parsed, expected)) found.push(`${name} parseEvent(${kind}): ${show(parsed)}, core: ${show(expected)}`);
    const constructed = verdictOf(() => webhook.constructEvent(payload, sign(SECRET, payload)));
    if (!sameVerdict(constructed, expectedConstruct)) {
      found.push(`${name} constructEvent(${kind}): ${show(constructed)}, core: ${show(expectedConstruct)}`);
    }
  }
  return found;
}

function sameVerdict(a, b) {
  if ('value' in a || 'value' in b) {
    try {
      assert.deepStrictEqual(a, b);
      return true;
    } catch {
      return false;
    }
  }
  return a.code === b.code && a.message === b.message && a.path === b.path;
}

const show = (verdict) => ('value' in verdict ? 'valid' : `${verdict.code} ${verdict.message}`);

const samples = eventTypes().map(({ type }) => sampleEvent(type, { createdAt: NOW }));

test('the usual events take the fast path: the walk counts the keys the pre-scan counted', () => {
  const message = JSON.parse(samples.find((s) => s.includes('conversation.message.created')));
  message.data.object.message = 'Two lines,\nwith a "quote", a tab\t, a slash \\ and é, 😀 unescaped';
  for (const text of [...samples, JSON.stringify(message), JSON.stringify(JSON.parse(samples[0]), null, 2)]) {
    const keys = core.plainKeyCount(write(Buffer.from(text)));
    assert.ok(keys > 0, `not plain: ${text}`);
    assert.equal(checkedKeys(JSON.parse(text)), keys, text);
  }
});

test('what JSON.parse reads differently from the core is not plain, and gets the core\'s answer', () => {
  const base = JSON.parse(samples.find((s) => s.includes('conversation.message.created')));
  const edit = (change) => {
    const event = structuredClone(base);
    change(event);
    return JSON.stringify(event);
  };
  const cases = {
    'duplicate id': base && JSON.stringify(base).replace('{"id":', '{"id":"x","id":'),
    'duplicate object field': JSON.stringify(base).replace('"conversation_id":', '"conversation_id":"x","conversation_id":'),
    'duplicate unknown key': JSON.stringify(base).replace('"conversation_id":', '"extra":1,"extra":2,"conversation_id":'),
    'duplicate data.object': JSON.stringify(base).replace('"data":{', '"data":{"object":{},'),
    'escaped key equal to a field': JSON.stringify(base).replace('{"id":', '{"i\\u0064":"x","id":'),
    'escaped key alone': JSON.stringify(base).replace('{"id":', '{"i\\u0064":'),
    'lone surrogate escape': edit((e) => { e.data.object.message = 'LONE'; }).replace('LONE', '\\ud800'),
    'surrogate pair escape': edit((e) => { e.data.object.message = 'PAIR'; }).replace('PAIR', '\\ud83d\\ude00'),
    'created_at 1.0': JSON.stringify(base).replace(/"created_at":(\d+)/, '"created_at":$1.0'),
    'created_at 1e3': JSON.stringify(base).replace(/"created_at":(\d+)/, '"created_at":1e3'),
    'created_at 1E3': JSON.stringify(base).replace(/"created_at":(\d+)/, '"created_at":1E3'),
    'created_at -0': JSON.stringify(base).replace(/"created_at":(\d+)/, '"created_at":-0'),
    'created_at 2^53 + 1': JSON.stringify(base).replace(/"created_at":(\d+)/, '"created_at":9007199254740993'),
    'created_at 2^63': JSON.stringify(base).replace(/"created_at":(\d+)/, '"created_at":9223372036854775808'),
    'created_at i64 min': JSON.stringify(base).replace(/"created_at":(\d+)/, '"created_at":-9223372036854775808'),
    'created_at a string': JSON.stringify(base).replace(/"created_at":(\d+)/, '"created_at":"$1"'),
    'created_at null': JSON.stringify(base).replace(/"created_at":(\d+)/, '"created_at":null'),
    'a 400-digit number kept': edit((e) => { e.data.object.big = 'BIG'; }).replace('"BIG"', '9'.repeat(400)),
    'a 100-digit number kept': edit((e) => { e.data.object.big = 'BIG'; }).replace('"BIG"', '9'.repeat(100)),
    'a float kept': edit((e) => { e.data.object.ratio = 'R'; }).replace('"R"', '0.5'),
    'an exponent kept': edit((e) => { e.data.object.ratio = 'R'; }).replace('"R"', '1e400'),
    'booleans kept': edit((e) => { e.data.object.flags = [true, false, null]; }),
    'deep nesting kept': edit((e) => { e.data.object.deep = 'D'; }).replace('"D"', '['.repeat(130) + ']'.repeat(130)),
    'nesting at the limit kept': edit((e) => { e.data.object.deep = 'D'; }).replace('"D"', '['.repeat(120) + ']'.repeat(120)),
    'id empty': edit((e) => { e.id = ''; }),
    'type empty': edit((e) => { e.type = ''; }),
    'unknown type': edit((e) => { e.type = 'conversation.exploded'; }),
    'unknown type, object an array': edit((e) => { e.type = 'conversation.exploded'; e.data.object = []; }),
    'missing required field': edit((e) => { delete e.data.object.conversation_id; }),
    'required field null': edit((e) => { e.data.object.conversation_id = null; }),
    'optional field null': edit((e) => { e.data.object.contact = null; }),
    'optional field a number': edit((e) => { e.data.object.contact = 5; }),
    'object an array': edit((e) => { e.data.object = []; }),
    'data missing object': edit((e) => { e.data = { other: 1 }; }),
    'data null': edit((e) => { e.data = null; }),
    'data first': (() => { const { data, ...rest } = base; return JSON.stringify({ data, ...rest }); })(),
    '__proto__ key': JSON.stringify(base).replace('{"id":', '{"__proto__":{"id":"x"},"id":'),
    'constructor key': JSON.stringify(base).replace('{"id":', '{"constructor":1,"id":'),
    'top level array': `[${JSON.stringify(base)}]`,
    'trailing comma': JSON.stringify(base).replace(/}$/, ',}'),
    'trailing text': `${JSON.stringify(base)} x`,
    'whitespace around': ` \n\t${JSON.stringify(base, null, 1)}\r\n `,
    'byte order mark': `\ufeff${JSON.stringify(base)}`,
    'control character in a string': edit((e) => { e.data.object.message = 'a\u0001b'; }).replace('\\u0001', '\u0001'),
    'invalid escape': edit((e) => { e.data.object.message = 'X'; }).replace('"X"', '"\\x"'),
    'backslash run before a quote': edit((e) => { e.data.object.message = 'a\\\\\\"b:c'; }),
    'empty object': '{}',
    'empty': '',
  };
  const found = Object.entries(cases).flatMap(([name, text]) => disagreements(text, name));
  assert.deepEqual(found, []);
});

test('invalid UTF-8 and a byte order mark as bytes get the core\'s answer', () => {
  const text = samples[0];
  for (const [name, bytes] of [
    ['invalid UTF-8', Buffer.concat([Buffer.from(text.slice(0, -3)), Buffer.from([0xff]), Buffer.from(text.slice(-3))])],
    ['byte order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])],
  ]) {
    const expected = coreVerdict(bytes);
    assert.equal(expected.code, 'INVALID_JSON', name);
    assert.deepEqual(verdictOf(() => parseEvent(bytes)), expected, name);
    assert.deepEqual(verdictOf(() => webhook.constructEvent(bytes, sign(SECRET, bytes))), coreConstructVerdict(bytes), name);
  }
});

test('the shared fixtures and the fuzzer\'s corpus get the core\'s answers', () => {
  const corpus = new URL('../../fuzz/corpus/event_parse/', import.meta.url);
  const found = [
    ...events.flatMap((e) => disagreements(e.bytes.toString('utf8'), e.name)),
    ...readdirSync(corpus).flatMap((file) => disagreements(readFileSync(new URL(file, corpus)).toString('utf8'), file)),
  ];
  assert.deepEqual(found, []);
});

test('random edits of every sample get the core\'s answers', () => {
  // Bytes that change how text is read, and pieces of the samples' own keys (duplicates).
  const pieces = ['"', '\\', '\\"', '\\\\', '\\u0041', '\\ud800', ':', ',', '{', '}', '[', ']', '.', 'e', 'E', '+', '-', '0', '9', 'u', ' ', 'null', 'true', '"id":"x",', '"created_at":1,', '"object":{},', '"message":"m",', 'é'];
  let state = 0x2545f491;
  const random = (n) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  const found = [];
  let valid = 0;
  for (const sample of samples) {
    for (let i = 0; i < 150; i++) {
      let text = sample;
      for (let edits = 1 + random(2); edits > 0; edits--) {
        const at = random(text.length + 1);
        const cut = random(3) === 0 ? random(4) : 0;
        text = text.slice(0, at) + pieces[random(pieces.length)] + text.slice(at + cut);
      }
      if (found.length < 20) found.push(...disagreements(text, `edit of ${JSON.parse(sample).type}: ${text}`));
      valid += 'value' in coreVerdict(Buffer.from(text)) ? 1 : 0;
    }
  }
  assert.deepEqual(found, []);
  // Edits inside strings mostly keep the event valid: both outcomes are exercised.
  assert.ok(valid > 200 && valid < samples.length * 150 - 200, `${valid} valid edits`);
});
